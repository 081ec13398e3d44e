//! [`MessageStorage`] on SQLite: `messages`, read marks and the unread counters.

use super::rows::{MESSAGE_COLUMNS, message_from_row};
use super::{SqliteTx, from_millis, to_millis};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Message;
use crate::storage::{MemberUnread, MessageStorage, NewMessage};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

impl MessageStorage for SqliteTx<'_> {
    fn message(&mut self, id: MessageId) -> Result<Option<Message>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"
            ))?
            .query_row([id], message_from_row)
            .optional()?)
    }

    fn insert_message(&mut self, new: &NewMessage<'_>) -> Result<MessageId> {
        // Kept for the rest of the transaction: a bulk load inserts many.
        let conn = self.conn;
        let insert = match &mut self.insert_message {
            Some(statement) => statement,
            slot @ None => slot.insert(conn.prepare_cached(
                "INSERT INTO messages (id, thread_id, sender_id, text, created_at, read_at, client_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?),
        };
        insert.execute(params![
            new.id,
            new.thread_id,
            new.sender_id,
            new.text,
            to_millis(new.created_at),
            new.read_at.map(to_millis),
            new.client_key
        ])?;
        // The id given, or the one SQLite assigned (AUTOINCREMENT: above
        // every id ever used, so ids grow monotonically).
        Ok(new.id.unwrap_or(MessageId(self.conn.last_insert_rowid())))
    }

    fn message_by_client_key(&mut self, sender: UserId, key: &str) -> Result<Option<Message>> {
        Ok(self
            .conn
            .prepare_cached(BY_CLIENT_KEY)?
            .query_row(params![sender, key], message_from_row)
            .optional()?)
    }

    fn client_keys(
        &mut self,
        thread: ThreadId,
        sender: UserId,
        after: MessageId,
        up_to: MessageId,
    ) -> Result<Vec<(MessageId, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, client_key FROM messages
             WHERE thread_id = ?1 AND id > ?2 AND id <= ?3 AND sender_id = ?4
               AND client_key IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map(params![thread, after, up_to, sender], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn page_before(
        &mut self,
        thread: ThreadId,
        before: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(PAGE_BEFORE)?;
        let rows = stmt.query_map(params![thread, before, limit], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn page_after(
        &mut self,
        thread: ThreadId,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(PAGE_AFTER)?;
        let rows = stmt.query_map(params![thread, after, limit], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn set_message_read(&mut self, id: MessageId, now: DateTime<Utc>) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached("UPDATE messages SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL AND deleted_at IS NULL")?
            .execute(params![id, to_millis(now)])?;
        Ok(changed > 0)
    }

    fn set_messages_read(
        &mut self,
        thread: ThreadId,
        sender: UserId,
        after: MessageId,
        up_to: MessageId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let marked = self.conn.prepare_cached(MARK_RANGE_READ)?.execute(params![
            thread,
            after,
            up_to,
            sender,
            to_millis(now)
        ])?;
        Ok(marked as u64)
    }

    fn member_read_state(&mut self, user: UserId, thread: ThreadId) -> Result<(i64, MessageId)> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT unread, last_read_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .query_row(params![user, thread], |row| Ok((row.get(0)?, row.get(1)?)))?)
    }

    fn set_bulk_mode(&mut self, on: bool) -> Result<()> {
        match (on, self.cache_before_bulk) {
            (true, None) => {
                let previous: i64 = self
                    .conn
                    .pragma_query_value(None, "cache_size", |row| row.get(0))?;
                self.conn
                    .pragma_update(None, "cache_size", -super::BULK_CACHE_KIB)?;
                self.cache_before_bulk = Some(previous);
                // The prepared insert belongs to the schema before the drop.
                self.insert_message = None;
                super::search_queue::suspend_indexing(self.conn)?;
                self.indexing_suspended = true;
            }
            (false, Some(previous)) => {
                self.cache_before_bulk = None;
                self.insert_message = None;
                // Indexed while the bulk page cache is still in place.
                if std::mem::take(&mut self.indexing_suspended) {
                    super::search_queue::resume_indexing(self.conn)?;
                }
                self.conn.pragma_update(None, "cache_size", previous)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn last_read_id(&mut self, user: UserId, thread: ThreadId) -> Result<MessageId> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT last_read_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .query_row(params![user, thread], |row| row.get(0))?)
    }

    fn set_last_read_id(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE members SET last_read_id = ?3 WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![user, thread, id])?;
        Ok(())
    }

    fn add_member_unread(&mut self, user: UserId, thread: ThreadId, delta: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE members SET unread = unread + ?3 WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![user, thread, delta])?;
        Ok(())
    }

    fn add_unread_total(&mut self, user: UserId, delta: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE users SET unread_total = unread_total + ?2 WHERE id = ?1")?
            .execute(params![user, delta])?;
        Ok(())
    }

    fn set_member_unread(&mut self, user: UserId, thread: ThreadId, value: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE members SET unread = ?3 WHERE user_id = ?1 AND thread_id = ?2")?
            .execute(params![user, thread, value])?;
        Ok(())
    }

    fn set_unread_total(&mut self, user: UserId, value: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE users SET unread_total = ?2 WHERE id = ?1")?
            .execute(params![user, value])?;
        Ok(())
    }

    fn unread_total_by_session(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(DateTime<Utc>, i64)>> {
        Ok(self
            .conn
            .prepare_cached(UNREAD_FOR_SESSION)?
            .query_row([&token_hash[..]], |row| {
                Ok((from_millis(row.get(0)?)?, row.get(1)?))
            })
            .optional()?)
    }

    fn recount_member_unread(&mut self, user: UserId) -> Result<Vec<MemberUnread>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT mb.thread_id, mb.unread,
                    (SELECT count(*) FROM messages m
                     WHERE m.thread_id = mb.thread_id AND m.id > coalesce(mb.cleared_through_id, 0)
                       AND m.sender_id = mb.other_id AND m.read_at IS NULL AND m.deleted_at IS NULL)
             FROM members mb WHERE mb.user_id = ?1",
        )?;
        let rows = stmt.query_map([user], |row| {
            Ok(MemberUnread {
                thread_id: row.get(0)?,
                stored: row.get(1)?,
                actual: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn unread_totals_after(&mut self, after: UserId, limit: i64) -> Result<Vec<(UserId, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, unread_total FROM users WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// The history page queries; see `EXPLAIN QUERY PLAN` in the tests.
pub(crate) const PAGE_BEFORE: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE thread_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
/// See [`PAGE_BEFORE`].
pub(crate) const PAGE_AFTER: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE thread_id = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3";

/// A sender's message by client key: one look-up in the partial unique
/// index `messages_client_key` (its `WHERE` matches the index's).
pub(crate) const BY_CLIENT_KEY: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE sender_id = ?1 AND client_key = ?2 AND client_key IS NOT NULL";

/// Marking a thread's backlog read; see `EXPLAIN QUERY PLAN` in the tests.
pub(crate) const MARK_RANGE_READ: &str = "UPDATE messages SET read_at = ?5
     WHERE thread_id = ?1 AND id > ?2 AND id <= ?3 AND sender_id = ?4 AND read_at IS NULL
       AND deleted_at IS NULL";

/// The session's expiry and its user's counter in one statement; see
/// `EXPLAIN QUERY PLAN` in the tests.
pub(crate) const UNREAD_FOR_SESSION: &str = "SELECT s.expires_at, u.unread_total
     FROM sessions s CROSS JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1";
