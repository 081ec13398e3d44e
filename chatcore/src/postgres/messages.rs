//! [`MessageStorage`] on PostgreSQL: `messages`, read marks and the unread
//! counters (changed by atomic increments).

use super::rows::{MESSAGE_COLUMNS, all, message};
use super::search_text::{self, Indexed};
use super::{PgTx, from_millis, to_millis};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Message;
use crate::storage::{MemberUnread, MessageStorage, NewMessage};
use chrono::{DateTime, Utc};

impl MessageStorage for PgTx<'_> {
    fn message(&mut self, id: MessageId) -> Result<Option<Message>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
        self.query_opt(&sql, &[&id.0])?
            .map(|row| message(&row))
            .transpose()
    }

    fn insert_message(&mut self, new: &NewMessage<'_>) -> Result<MessageId> {
        let created = to_millis(new.created_at);
        let read = new.read_at.map(to_millis);
        // A key a concurrent send used is a conflict the caller resolves
        // (`record_keyed_send`): the transaction stays usable.
        // The search index's columns, in the same statement.
        let Indexed {
            words,
            folded,
            trigrams,
        } = search_text::index(new.text);
        let id = match new.id {
            Some(id) => self.insert_returning_id(
                "INSERT INTO messages (id, thread_id, sender_id, text, created_at, read_at, client_key,
                                       search_words, search_folded, search_trigrams)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::tsvector, $9, $10)
                 ON CONFLICT DO NOTHING RETURNING id",
                &[
                    &id.0, &new.thread_id.0, &new.sender_id.0, &new.text, &created, &read,
                    &new.client_key, &words, &folded, &trigrams,
                ],
                "the message's id or client key",
                false,
            )?,
            None => self.insert_returning_id(
                "INSERT INTO messages (thread_id, sender_id, text, created_at, read_at, client_key,
                                       search_words, search_folded, search_trigrams)
                 VALUES ($1, $2, $3, $4, $5, $6, $7::text::tsvector, $8, $9)
                 ON CONFLICT DO NOTHING RETURNING id",
                &[
                    &new.thread_id.0, &new.sender_id.0, &new.text, &created, &read,
                    &new.client_key, &words, &folded, &trigrams,
                ],
                "the message's client key",
                false,
            )?,
        };
        Ok(MessageId(id))
    }

    fn message_by_client_key(&mut self, sender: UserId, key: &str) -> Result<Option<Message>> {
        self.query_opt(BY_CLIENT_KEY, &[&sender.0, &key])?
            .map(|row| message(&row))
            .transpose()
    }

    fn client_keys(
        &mut self,
        thread: ThreadId,
        sender: UserId,
        after: MessageId,
        up_to: MessageId,
    ) -> Result<Vec<(MessageId, String)>> {
        let rows = self.query(
            "SELECT id, client_key FROM messages
             WHERE thread_id = $1 AND id > $2 AND id <= $3 AND sender_id = $4
               AND client_key IS NOT NULL ORDER BY id",
            &[&thread.0, &after.0, &up_to.0, &sender.0],
        )?;
        all(&rows, |row| {
            Ok((MessageId(row.try_get(0)?), row.try_get(1)?))
        })
    }

    fn page_before(
        &mut self,
        thread: ThreadId,
        before: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows = self.query(PAGE_BEFORE, &[&thread.0, &before.0, &i64::from(limit)])?;
        all(&rows, message)
    }

    fn page_after(
        &mut self,
        thread: ThreadId,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows = self.query(PAGE_AFTER, &[&thread.0, &after.0, &i64::from(limit)])?;
        all(&rows, message)
    }

    fn set_message_read(&mut self, id: MessageId, now: DateTime<Utc>) -> Result<bool> {
        let changed = self.execute(
            "UPDATE messages SET read_at = $2
             WHERE id = $1 AND read_at IS NULL AND deleted_at IS NULL",
            &[&id.0, &to_millis(now)],
        )?;
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
        self.execute(
            MARK_RANGE_READ,
            &[&thread.0, &after.0, &up_to.0, &sender.0, &to_millis(now)],
        )
    }

    fn member_read_state(&mut self, user: UserId, thread: ThreadId) -> Result<(i64, MessageId)> {
        let row = self.query_one(
            "SELECT unread, last_read_id FROM members WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0],
        )?;
        Ok((row.try_get(0)?, MessageId(row.try_get(1)?)))
    }

    fn set_bulk_mode(&mut self, _on: bool) -> Result<()> {
        // The server sizes its own buffers; nothing to change per transaction.
        Ok(())
    }

    fn last_read_id(&mut self, user: UserId, thread: ThreadId) -> Result<MessageId> {
        let row = self.query_one(
            "SELECT last_read_id FROM members WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0],
        )?;
        Ok(MessageId(row.try_get(0)?))
    }

    fn set_last_read_id(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()> {
        self.execute(
            "UPDATE members SET last_read_id = $3 WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0, &id.0],
        )?;
        Ok(())
    }

    fn add_member_unread(&mut self, user: UserId, thread: ThreadId, delta: i64) -> Result<()> {
        self.execute(
            "UPDATE members SET unread = unread + $3 WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0, &delta],
        )?;
        Ok(())
    }

    fn add_unread_total(&mut self, user: UserId, delta: i64) -> Result<()> {
        self.execute(
            "UPDATE users SET unread_total = unread_total + $2 WHERE id = $1",
            &[&user.0, &delta],
        )?;
        Ok(())
    }

    fn set_member_unread(&mut self, user: UserId, thread: ThreadId, value: i64) -> Result<()> {
        self.execute(
            "UPDATE members SET unread = $3 WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0, &value],
        )?;
        Ok(())
    }

    fn set_unread_total(&mut self, user: UserId, value: i64) -> Result<()> {
        self.execute(
            "UPDATE users SET unread_total = $2 WHERE id = $1",
            &[&user.0, &value],
        )?;
        Ok(())
    }

    fn unread_total_by_session(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(DateTime<Utc>, i64)>> {
        let row = self.query_opt(UNREAD_FOR_SESSION, &[&&token_hash[..]])?;
        Ok(match row {
            Some(row) => Some((from_millis(row.try_get(0)?)?, row.try_get(1)?)),
            None => None,
        })
    }

    fn recount_member_unread(&mut self, user: UserId) -> Result<Vec<MemberUnread>> {
        let rows = self.query(
            "SELECT mb.thread_id, mb.unread,
                    (SELECT count(*) FROM messages m
                     WHERE m.thread_id = mb.thread_id AND m.id > coalesce(mb.cleared_through_id, 0)
                       AND m.sender_id = mb.other_id AND m.read_at IS NULL AND m.deleted_at IS NULL)
             FROM members mb WHERE mb.user_id = $1",
            &[&user.0],
        )?;
        all(&rows, |row| {
            Ok(MemberUnread {
                thread_id: ThreadId(row.try_get(0)?),
                stored: row.try_get(1)?,
                actual: row.try_get(2)?,
            })
        })
    }

    fn unread_totals_after(&mut self, after: UserId, limit: i64) -> Result<Vec<(UserId, i64)>> {
        // A repair (a write) locks the users it checks: their counters
        // cannot move between the recount and the fix.
        let sql = format!(
            "SELECT id, unread_total FROM users WHERE id > $1 ORDER BY id LIMIT $2{}",
            self.lock()
        );
        let rows = self.query(&sql, &[&after.0, &limit])?;
        all(&rows, |row| Ok((UserId(row.try_get(0)?), row.try_get(1)?)))
    }
}

/// The history page queries.
pub(crate) const PAGE_BEFORE: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE thread_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
/// See [`PAGE_BEFORE`].
pub(crate) const PAGE_AFTER: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE thread_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3";

/// A sender's message by client key (the partial unique index).
pub(crate) const BY_CLIENT_KEY: &str =
    "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
     FROM messages WHERE sender_id = $1 AND client_key = $2 AND client_key IS NOT NULL";

/// Marking a thread's backlog read.
pub(crate) const MARK_RANGE_READ: &str = "UPDATE messages SET read_at = $5
     WHERE thread_id = $1 AND id > $2 AND id <= $3 AND sender_id = $4 AND read_at IS NULL
       AND deleted_at IS NULL";

/// The session's expiry and its user's counter in one statement.
pub(crate) const UNREAD_FOR_SESSION: &str = "SELECT s.expires_at, u.unread_total
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
