//! Reading records out of result rows.

use super::from_millis;
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Message, Thread, User};
use postgres::Row;

/// The columns [`user_at`] reads, in order.
pub(crate) const USER_COLUMNS: &str = "id, email, username, first_name, last_name, created_at";

/// The columns [`message_at`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str =
    "id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at";

/// The columns [`thread_at`] reads, in order.
pub(crate) const THREAD_COLUMNS: &str = "id, user_low, user_high, created_at, last_activity_at";

/// Maps the six user columns starting at column `at` (the order of [`USER_COLUMNS`]).
pub(crate) fn user_at(row: &Row, at: usize) -> Result<User> {
    Ok(User {
        id: UserId(row.try_get(at)?),
        email: row.try_get(at + 1)?,
        username: row.try_get(at + 2)?,
        first_name: row.try_get(at + 3)?,
        last_name: row.try_get(at + 4)?,
        created_at: from_millis(row.try_get(at + 5)?)?,
    })
}

/// Maps the eight message columns starting at column `at` (the order of [`MESSAGE_COLUMNS`]).
pub(crate) fn message_at(row: &Row, at: usize) -> Result<Message> {
    Ok(Message {
        id: MessageId(row.try_get(at)?),
        thread_id: ThreadId(row.try_get(at + 1)?),
        sender_id: UserId(row.try_get(at + 2)?),
        text: row.try_get(at + 3)?,
        created_at: from_millis(row.try_get(at + 4)?)?,
        read_at: optional_time(row, at + 5)?,
        edited_at: optional_time(row, at + 6)?,
        deleted_at: optional_time(row, at + 7)?,
    })
}

/// A nullable time column.
fn optional_time(row: &Row, at: usize) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    row.try_get::<_, Option<i64>>(at)?
        .map(from_millis)
        .transpose()
}

/// Maps a message row of [`MESSAGE_COLUMNS`].
pub(crate) fn message(row: &Row) -> Result<Message> {
    message_at(row, 0)
}

/// Maps the five thread columns starting at column `at` (the order of [`THREAD_COLUMNS`]).
pub(crate) fn thread_at(row: &Row, at: usize) -> Result<Thread> {
    Ok(Thread {
        id: ThreadId(row.try_get(at)?),
        participants: [UserId(row.try_get(at + 1)?), UserId(row.try_get(at + 2)?)],
        created_at: from_millis(row.try_get(at + 3)?)?,
        last_activity_at: from_millis(row.try_get(at + 4)?)?,
    })
}

/// Maps every row with `map`.
pub(crate) fn all<T>(rows: &[Row], map: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(map).collect()
}
