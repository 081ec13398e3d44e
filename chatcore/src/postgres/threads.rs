//! [`ThreadStorage`] on PostgreSQL: `threads` and its `members` rows.
//!
//! In a write transaction, reading a thread locks its row (`FOR UPDATE`):
//! everything that changes a thread's messages, members or counters reads
//! the thread first, so those changes run one at a time per thread.

use super::rows::{THREAD_COLUMNS, all, message_at, thread_at, user_at};
use super::{PgTx, to_millis};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Thread, ThreadSummary};
use crate::storage::{InboxKey, InboxRow, NewThread, ThreadStorage};
use chrono::{DateTime, Utc};
use postgres::Row;

impl ThreadStorage for PgTx<'_> {
    fn user_exists(&mut self, id: UserId) -> Result<bool> {
        Ok(self
            .query_opt("SELECT 1 FROM users WHERE id = $1", &[&id.0])?
            .is_some())
    }

    fn thread_by_pair(&mut self, low: UserId, high: UserId) -> Result<Option<Thread>> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE user_low = $1 AND user_high = $2{}",
            self.lock()
        );
        self.query_opt(&sql, &[&low.0, &high.0])?
            .map(|row| thread_at(&row, 0))
            .transpose()
    }

    fn thread(&mut self, id: ThreadId) -> Result<Option<Thread>> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE id = $1{}",
            self.lock()
        );
        self.query_opt(&sql, &[&id.0])?
            .map(|row| thread_at(&row, 0))
            .transpose()
    }

    fn last_message_id(&mut self, id: ThreadId) -> Result<Option<MessageId>> {
        let row = self.query_opt(
            "SELECT last_message_id FROM threads WHERE id = $1",
            &[&id.0],
        )?;
        Ok(match row {
            Some(row) => row.try_get::<_, Option<i64>>(0)?.map(MessageId),
            None => None,
        })
    }

    fn insert_thread(&mut self, new: &NewThread) -> Result<ThreadId> {
        let activity = to_millis(new.last_activity_at);
        let created = to_millis(new.created_at);
        // The thread and both member rows in one statement (the members
        // only when the thread row was inserted).
        let members = "m AS (INSERT INTO members (user_id, thread_id, other_id, last_activity_at)
                             SELECT $1, t.id, $2, $4 FROM t UNION ALL SELECT $2, t.id, $1, $4 FROM t)
                       SELECT id FROM t";
        let id = match new.id {
            Some(id) => self.insert_returning_id(
                &format!(
                    "WITH t AS (INSERT INTO threads (id, user_low, user_high, created_at, last_activity_at)
                                VALUES ($5, $1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id),
                     {members}"
                ),
                &[&new.low.0, &new.high.0, &created, &activity, &id.0],
                "the thread's id or pair",
                false,
            )?,
            // The rules looked the pair up in this transaction: only a
            // concurrent create-or-get can have taken it since.
            None => self.insert_returning_id(
                &format!(
                    "WITH t AS (INSERT INTO threads (user_low, user_high, created_at, last_activity_at)
                                VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id),
                     {members}"
                ),
                &[&new.low.0, &new.high.0, &created, &activity],
                "the thread's pair",
                true,
            )?,
        };
        Ok(ThreadId(id))
    }

    fn set_thread_activity(
        &mut self,
        id: ThreadId,
        activity: DateTime<Utc>,
        last_message: MessageId,
    ) -> Result<()> {
        self.execute(
            "UPDATE threads SET last_activity_at = $2, last_message_id = $3 WHERE id = $1",
            &[&id.0, &to_millis(activity), &last_message.0],
        )?;
        Ok(())
    }

    fn set_member_activity(
        &mut self,
        user: UserId,
        thread: ThreadId,
        activity: DateTime<Utc>,
        unread_delta: i64,
    ) -> Result<()> {
        self.execute(
            "UPDATE members SET last_activity_at = $3, unread = unread + $4
             WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0, &to_millis(activity), &unread_delta],
        )?;
        Ok(())
    }

    fn thread_ids_of(&mut self, user: UserId) -> Result<Vec<ThreadId>> {
        let rows = self.query(
            "SELECT thread_id FROM members WHERE user_id = $1 ORDER BY thread_id",
            &[&user.0],
        )?;
        all(&rows, |row| Ok(ThreadId(row.try_get(0)?)))
    }

    fn member_unread_counts(&mut self, thread: ThreadId) -> Result<Vec<(UserId, i64)>> {
        // In user order, so that transactions changing two users' totals
        // lock them in the same order.
        let rows = self.query(
            "SELECT user_id, unread FROM members WHERE thread_id = $1 ORDER BY user_id",
            &[&thread.0],
        )?;
        all(&rows, |row| Ok((UserId(row.try_get(0)?), row.try_get(1)?)))
    }

    fn inbox(&mut self, user: UserId, key: InboxKey, limit: u32) -> Result<Vec<InboxRow>> {
        let rows = self.query(
            INBOX,
            &[&user.0, &key.activity_ms, &key.thread_id, &i64::from(limit)],
        )?;
        all(&rows, summary_from_row)
    }

    fn summary(&mut self, user: UserId, thread: ThreadId) -> Result<Option<ThreadSummary>> {
        let row = self.query_opt(SUMMARY, &[&user.0, &thread.0])?;
        Ok(match row {
            Some(row) => Some(summary_from_row(&row)?.0),
            None => None,
        })
    }

    fn delete_thread(&mut self, id: ThreadId) -> Result<()> {
        // Member rows and messages go by cascade.
        self.execute("DELETE FROM threads WHERE id = $1", &[&id.0])?;
        Ok(())
    }
}

/// Maps a row of [`INBOX`] or [`SUMMARY`] (the same columns).
pub(super) fn summary_from_row(row: &Row) -> Result<InboxRow> {
    let thread = thread_at(row, 0)?;
    let activity_ms: i64 = row.try_get(5)?;
    let unread: i64 = row.try_get(6)?;
    let other = user_at(row, 7)?;
    let last_message = match row.try_get::<_, Option<i64>>(13)? {
        Some(_) => Some(message_at(row, 13)?),
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
macro_rules! summary_select {
    () => {
        "SELECT t.id, t.user_low, t.user_high, t.created_at, t.last_activity_at,
                m.last_activity_at, m.unread,
                u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                msg.id, msg.thread_id, msg.sender_id, msg.text, msg.created_at, msg.read_at,
                msg.edited_at, msg.deleted_at
         FROM members m
         JOIN threads t ON t.id = m.thread_id
         JOIN users u ON u.id = m.other_id
         LEFT JOIN messages msg ON msg.id = t.last_message_id
             AND msg.id > coalesce(m.cleared_through_id, 0)"
    };
}

/// The inbox page: one range scan of `members_inbox`.
pub(crate) const INBOX: &str = concat!(
    summary_select!(),
    " WHERE m.user_id = $1 AND (m.last_activity_at, m.thread_id) < ($2, $3)
        AND (m.cleared_through_id IS NULL OR t.last_message_id > m.cleared_through_id)
      ORDER BY m.last_activity_at DESC, m.thread_id DESC
      LIMIT $4"
);

/// One inbox entry by thread.
const SUMMARY: &str = concat!(
    summary_select!(),
    " WHERE m.user_id = $1 AND m.thread_id = $2"
);

/// How many columns an inbox entry has.
pub(super) const SUMMARY_WIDTH: usize = 21;

/// The session with the token `$1` and its user's inbox page (as
/// [`INBOX`], `$2`–`$4`) in one statement: one row per entry with the
/// session's columns after the entry's (one row of `NULL` entry columns
/// for an empty page, `NULL` session columns for an unknown token).
pub(super) static INBOX_OF_SESSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH s AS (SELECT {} FROM sessions WHERE token_hash = $1)
         SELECT i.*, s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at
         FROM (SELECT) AS one LEFT JOIN s ON true
         LEFT JOIN LATERAL ({}
             WHERE m.user_id = s.user_id AND (m.last_activity_at, m.thread_id) < ($2, $3)
               AND (m.cleared_through_id IS NULL OR t.last_message_id > m.cleared_through_id)
             ORDER BY m.last_activity_at DESC, m.thread_id DESC
             LIMIT $4) i ON true
         ORDER BY 6 DESC, 1 DESC",
        super::accounts::SESSION_COLUMNS,
        summary_select!()
    )
});
