//! [`ThreadStorage`] on SQLite: `threads` and its `members` rows.

use super::rows::{THREAD_COLUMNS, message_from_row_at, thread_from_row, user_from_row_at};
use super::{SqliteTx, to_millis};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Thread, ThreadSummary};
use crate::storage::{InboxKey, InboxRow, NewThread, ThreadStorage};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

impl ThreadStorage for SqliteTx<'_> {
    fn user_exists(&mut self, id: UserId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn thread_by_pair(&mut self, low: UserId, high: UserId) -> Result<Option<Thread>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE user_low = ?1 AND user_high = ?2"
            ))?
            .query_row([low, high], thread_from_row)
            .optional()?)
    }

    fn thread(&mut self, id: ThreadId) -> Result<Option<Thread>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1"
            ))?
            .query_row([id], thread_from_row)
            .optional()?)
    }

    fn last_message_id(&mut self, id: ThreadId) -> Result<Option<MessageId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT last_message_id FROM threads WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?
            .flatten())
    }

    fn insert_thread(&mut self, new: &NewThread) -> Result<ThreadId> {
        let activity = to_millis(new.last_activity_at);
        self.conn
            .prepare_cached(
                "INSERT INTO threads (id, user_low, user_high, created_at, last_activity_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                new.id,
                new.low,
                new.high,
                to_millis(new.created_at),
                activity
            ])?;
        // The id given, or the one SQLite assigned (AUTOINCREMENT: never reused).
        let id = new.id.unwrap_or(ThreadId(self.conn.last_insert_rowid()));
        let mut member = self.conn.prepare_cached(
            "INSERT INTO members (user_id, thread_id, other_id, last_activity_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        member.execute(params![new.low, id, new.high, activity])?;
        member.execute(params![new.high, id, new.low, activity])?;
        Ok(id)
    }

    fn set_thread_activity(
        &mut self,
        id: ThreadId,
        activity: DateTime<Utc>,
        last_message: MessageId,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE threads SET last_activity_at = ?2, last_message_id = ?3 WHERE id = ?1",
            )?
            .execute(params![id, to_millis(activity), last_message])?;
        Ok(())
    }

    fn set_member_activity(
        &mut self,
        user: UserId,
        thread: ThreadId,
        activity: DateTime<Utc>,
        unread_delta: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE members SET last_activity_at = ?3, unread = unread + ?4
                 WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![user, thread, to_millis(activity), unread_delta])?;
        Ok(())
    }

    fn thread_ids_of(&mut self, user: UserId) -> Result<Vec<ThreadId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT thread_id FROM members WHERE user_id = ?1 ORDER BY thread_id",
        )?;
        let rows = stmt.query_map([user], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn member_unread_counts(&mut self, thread: ThreadId) -> Result<Vec<(UserId, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT user_id, unread FROM members WHERE thread_id = ?1")?;
        let rows = stmt.query_map([thread], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn inbox(&mut self, user: UserId, key: InboxKey, limit: u32) -> Result<Vec<InboxRow>> {
        let mut stmt = self.conn.prepare_cached(INBOX)?;
        let rows = stmt.query_map(
            params![user, key.activity_ms, key.thread_id, limit],
            summary_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn summary(&mut self, user: UserId, thread: ThreadId) -> Result<Option<ThreadSummary>> {
        let mut stmt = self.conn.prepare_cached(SUMMARY)?;
        let row = stmt
            .query_row(params![user, thread], summary_from_row)
            .optional()?;
        Ok(row.map(|(summary, _)| summary))
    }

    fn delete_thread(&mut self, id: ThreadId) -> Result<()> {
        // Member rows and messages go by cascade.
        self.conn
            .prepare_cached("DELETE FROM threads WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

/// Maps a row of [`INBOX`] or [`SUMMARY`] (the same columns).
fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<InboxRow> {
    let thread = thread_from_row(row)?;
    let activity_ms: i64 = row.get(5)?;
    let unread: i64 = row.get(6)?;
    let other = user_from_row_at(row, 7)?;
    let last_message = match row.get::<_, Option<i64>>(13)? {
        Some(_) => Some(message_from_row_at(row, 13)?),
        None => None,
    };
    Ok((
        ThreadSummary {
            thread,
            other,
            last_message,
            unread_count: unread.max(0) as u64,
        },
        activity_ms,
    ))
}

/// The columns of an inbox entry (mapped by `summary_from_row`).
/// `CROSS JOIN` fixes the join order (members first, the others looked
/// up by key), so the planner never picks a scan.
macro_rules! summary_select {
    () => {
        "SELECT t.id, t.user_low, t.user_high, t.created_at, t.last_activity_at,
                m.last_activity_at, m.unread,
                u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                msg.id, msg.thread_id, msg.sender_id, msg.text, msg.created_at, msg.read_at,
                msg.edited_at, msg.deleted_at
         FROM members m
         CROSS JOIN threads t ON t.id = m.thread_id
         CROSS JOIN users u ON u.id = m.other_id
         LEFT JOIN messages msg ON msg.id = t.last_message_id
             AND msg.id > coalesce(m.cleared_through_id, 0)"
    };
}

/// The inbox page query; see `EXPLAIN QUERY PLAN` in the tests.
pub(crate) const INBOX: &str = concat!(
    summary_select!(),
    " WHERE m.user_id = ?1 AND (m.last_activity_at, m.thread_id) < (?2, ?3)
        AND (m.cleared_through_id IS NULL OR t.last_message_id > m.cleared_through_id)
      ORDER BY m.last_activity_at DESC, m.thread_id DESC
      LIMIT ?4"
);

/// One inbox entry by thread.
const SUMMARY: &str = concat!(
    summary_select!(),
    " WHERE m.user_id = ?1 AND m.thread_id = ?2"
);
