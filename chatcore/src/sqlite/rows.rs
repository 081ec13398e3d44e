//! Reading records out of result rows.

use super::from_millis;
use crate::models::{Message, Thread, User};
use rusqlite::Row;

/// The columns [`user_from_row_at`] reads, in order.
pub(crate) const USER_COLUMNS: &str = "id, email, username, first_name, last_name, created_at";

/// The columns [`message_from_row_at`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str =
    "id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at";

/// The columns [`thread_from_row`] reads, in order.
pub(crate) const THREAD_COLUMNS: &str = "id, user_low, user_high, created_at, last_activity_at";

/// Maps the six user columns starting at column `at` (the order of [`USER_COLUMNS`]).
pub(crate) fn user_from_row_at(row: &Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(at)?,
        email: row.get(at + 1)?,
        username: row.get(at + 2)?,
        first_name: row.get(at + 3)?,
        last_name: row.get(at + 4)?,
        created_at: from_millis(row.get(at + 5)?)?,
    })
}

/// Maps the eight message columns starting at column `at` (the order of [`MESSAGE_COLUMNS`]).
pub(crate) fn message_from_row_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Message> {
    Ok(Message {
        id: row.get(at)?,
        thread_id: row.get(at + 1)?,
        sender_id: row.get(at + 2)?,
        text: row.get(at + 3)?,
        created_at: from_millis(row.get(at + 4)?)?,
        read_at: optional_time(row, at + 5)?,
        edited_at: optional_time(row, at + 6)?,
        deleted_at: optional_time(row, at + 7)?,
    })
}

/// A nullable time column.
fn optional_time(
    row: &Row<'_>,
    at: usize,
) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    row.get::<_, Option<i64>>(at)?.map(from_millis).transpose()
}

/// Maps a message row of [`MESSAGE_COLUMNS`].
pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    message_from_row_at(row, 0)
}

/// Maps the five thread columns (the order of [`THREAD_COLUMNS`]).
pub(crate) fn thread_from_row(row: &Row<'_>) -> rusqlite::Result<Thread> {
    Ok(Thread {
        id: row.get(0)?,
        participants: [row.get(1)?, row.get(2)?],
        created_at: from_millis(row.get(3)?)?,
        last_activity_at: from_millis(row.get(4)?)?,
    })
}
