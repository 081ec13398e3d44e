//! Messages: send, history pages, read marks and unread counts.
//!
//! Unread counts are counters (`members.unread` per thread, `users.unread_total`
//! per user) changed in the same transaction as every send, read mark and
//! delete, so reading them is O(1); [`Store::verify_unread`] recomputes them
//! from the messages.

use crate::accounts::Session;
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::page;
use crate::store::{Store, from_millis, to_millis};
use crate::threads::{self, require_participant};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A message in a two-person thread. Its recipient is the other participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The message's id; grows monotonically across the store.
    pub id: MessageId,
    /// The thread it belongs to.
    pub thread_id: ThreadId,
    /// Who sent it.
    pub sender_id: UserId,
    /// The text, exactly as sent.
    pub text: String,
    /// When it was sent.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
    /// When the recipient read it; `None` while unread.
    #[serde(serialize_with = "crate::rfc3339::option_millis")]
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of a thread's history, always in ascending id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessagePage {
    /// The messages, oldest first.
    pub items: Vec<Message>,
    /// Whether more messages lie beyond this page in the direction paged:
    /// older ones for a `before` (or latest) page, newer ones for an `after` page.
    pub has_more: bool,
}

/// Which page of history to list. With neither `before` nor `after`, the
/// newest messages.
///
/// ```
/// use chatcore::{MessageId, MessageQuery};
/// let older = MessageQuery { before: Some(MessageId(120)), limit: Some(20), ..Default::default() };
/// assert!(older.after.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageQuery {
    /// The newest `limit` messages with ids below this one.
    pub before: Option<MessageId>,
    /// The oldest `limit` messages with ids above this one.
    pub after: Option<MessageId>,
    /// Page size; default 50, at most 500.
    pub limit: Option<u32>,
}

/// One counter that disagreed with the messages, found by [`Store::verify_unread`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadMismatch {
    /// Whose counter.
    pub user_id: UserId,
    /// The thread of a per-thread counter; `None` for the user's total.
    pub thread_id: Option<ThreadId>,
    /// What the counter said.
    pub stored: i64,
    /// What the messages say.
    pub actual: i64,
}

/// The result of checking every unread counter against the messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnreadReport {
    /// Per-thread counters checked.
    pub threads_checked: u64,
    /// Per-user totals checked.
    pub users_checked: u64,
    /// Counters that disagreed (repaired, if asked to repair).
    pub mismatches: Vec<UnreadMismatch>,
}

// ---------------------------------------------------------------------------
// Rules

/// A message text is non-empty after trimming, at most `max_bytes` long,
/// and free of control characters other than tab, line feed and carriage
/// return: no NUL (which C strings cannot carry) and no escape sequences
/// that would drive a reader's terminal.
pub(crate) fn validate_text(text: &str, max_bytes: usize) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::InvalidText("the message is empty".to_string()));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Error::InvalidText(format!(
            "the message contains the control character U+{:04X}; only tab and line breaks are allowed",
            bad as u32
        )));
    }
    if text.len() > max_bytes {
        return Err(Error::InvalidText(format!(
            "the message has {} bytes; the limit is {max_bytes}",
            text.len()
        )));
    }
    Ok(())
}

/// Only the recipient (the participant who did not send it) marks a message read.
pub(crate) fn require_recipient(
    message: &Message,
    thread: &threads::Thread,
    caller: UserId,
) -> Result<()> {
    require_participant(thread, caller)?;
    if message.sender_id == caller {
        return Err(Error::NotRecipient);
    }
    Ok(())
}

fn require_id(name: &str, id: Option<MessageId>) -> Result<Option<MessageId>> {
    match id {
        Some(MessageId(raw)) if raw < 0 => Err(Error::InvalidArgument(format!(
            "{name} must be a message id (0 or more), not {raw}"
        ))),
        other => Ok(other),
    }
}

// ---------------------------------------------------------------------------
// Operations

impl Session {
    /// Sends `text` to the thread as this session's user.
    ///
    /// # Errors
    /// [`Error::InvalidText`], [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`], or a session error.
    pub fn send(&self, thread_id: ThreadId, text: &str) -> Result<Message> {
        validate_text(text, self.store.config().max_text_bytes)?;
        self.write(|tx, caller| {
            let thread = threads::sql::thread(tx, thread_id)?;
            let recipient = require_participant(&thread, caller.user_id)?;
            let activity = thread.last_activity_at.max(caller.now);
            let id = sql::insert_message(tx, thread_id, caller.user_id, text, caller.now)?;
            sql::record_send(tx, thread_id, id, caller.user_id, recipient, activity)?;
            Ok(Message {
                id,
                thread_id,
                sender_id: caller.user_id,
                text: text.to_string(),
                created_at: caller.now,
                read_at: None,
            })
        })
    }

    /// A page of the thread's history, in ascending id order. Keyset-paged:
    /// each page costs the same however deep in the thread.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad limit, a negative id, or both
    /// `before` and `after`; [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`], or a session error.
    pub fn list_messages(&self, thread_id: ThreadId, query: &MessageQuery) -> Result<MessagePage> {
        let limit = page::limit(query.limit)?;
        let before = require_id("before", query.before)?;
        let after = require_id("after", query.after)?;
        self.read(|tx, caller| {
            let thread = threads::sql::thread(tx, thread_id)?;
            require_participant(&thread, caller.user_id)?;
            let mut items = match (before, after) {
                (Some(_), Some(_)) => {
                    return Err(Error::InvalidArgument(
                        "give either before or after, not both".to_string(),
                    ));
                }
                (None, Some(after)) => sql::page_after(tx, thread_id, after, limit + 1)?,
                (before, None) => {
                    let before = before.unwrap_or(MessageId(i64::MAX));
                    sql::page_before(tx, thread_id, before, limit + 1)?
                }
            };
            let has_more = items.len() > limit as usize;
            items.truncate(limit as usize);
            if after.is_none() {
                items.reverse();
            }
            Ok(MessagePage { items, has_more })
        })
    }

    /// Marks one message read. Only its recipient may; marking again keeps
    /// the first `read_at`. Returns the message as stored.
    ///
    /// # Errors
    /// [`Error::MessageNotFound`], [`Error::NotParticipant`],
    /// [`Error::NotRecipient`], or a session error.
    pub fn mark_read(&self, message_id: MessageId) -> Result<Message> {
        self.write(|tx, caller| {
            let mut message = sql::message(tx, message_id)?;
            let thread = threads::sql::thread(tx, message.thread_id)?;
            require_recipient(&message, &thread, caller.user_id)?;
            if message.read_at.is_none() {
                sql::mark_one_read(tx, &message, caller.user_id, caller.now)?;
                message.read_at = Some(caller.now);
            }
            Ok(message)
        })
    }

    /// Marks the other participant's messages in the thread read, up to and
    /// including `up_to` (all of them when `None`). Returns how many were
    /// newly marked. Touches only the unread backlog, never older history.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative id, [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`], or a session error.
    pub fn mark_thread_read(&self, thread_id: ThreadId, up_to: Option<MessageId>) -> Result<u64> {
        let up_to = require_id("up_to", up_to)?;
        self.write(|tx, caller| {
            let thread = threads::sql::thread(tx, thread_id)?;
            let sender = require_participant(&thread, caller.user_id)?;
            let Some(last) = threads::sql::last_message_id(tx, thread_id)? else {
                return Ok(0);
            };
            // Never past the newest message: later messages get higher ids
            // and must stay unread.
            let bound = up_to.map_or(last, |up_to| up_to.min(last));
            sql::mark_read_up_to(tx, thread_id, caller.user_id, sender, bound, caller.now)
        })
    }

    /// How many messages sent to this user, in all their threads, are unread.
    /// Never counts the user's own messages. O(1): reads one counter.
    ///
    /// # Errors
    /// A session error.
    pub fn unread_count(&self) -> Result<u64> {
        // The session check and the counter in one statement: this is the
        // call apps make most often (BENCHMARKS.md).
        let now = self.store.now();
        self.store
            .read_one(|conn| sql::unread_total_for_session(conn, self.token_hash(), now))
    }
}

impl Store {
    /// Recomputes every unread counter from the messages and reports those
    /// that disagree. Changes nothing; see [`Store::repair_unread`].
    ///
    /// Reads in short transactions of a few hundred users each, so that a
    /// check of a large store never holds one snapshot (and with it the
    /// WAL) for its whole run. Each user's counters are compared with the
    /// messages of the same snapshot, so concurrent sends never show as a
    /// mismatch.
    ///
    /// # Errors
    /// A storage error.
    pub fn verify_unread(&self) -> Result<UnreadReport> {
        let mut report = UnreadReport::default();
        let mut after = Some(UserId(0));
        while let Some(from) = after {
            after = self.read(|tx| {
                sql::check_unread_batch(tx, from, sql::UNREAD_CHECK_BATCH, false, &mut report)
            })?;
        }
        Ok(report)
    }

    /// Like [`Store::verify_unread`], and sets every disagreeing counter to
    /// what the messages say, in one transaction.
    ///
    /// # Errors
    /// A storage error, or [`Error::Busy`].
    pub fn repair_unread(&self) -> Result<UnreadReport> {
        self.write(|tx| sql::check_unread(tx, true))
    }
}

// ---------------------------------------------------------------------------
// Storage

pub(crate) mod sql {
    use super::*;

    const MESSAGE_COLUMNS: &str = "id, thread_id, sender_id, text, created_at, read_at";

    /// Maps the six message columns starting at column `at` (the order of `MESSAGE_COLUMNS`).
    pub(crate) fn message_from_row_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Message> {
        Ok(Message {
            id: row.get(at)?,
            thread_id: row.get(at + 1)?,
            sender_id: row.get(at + 2)?,
            text: row.get(at + 3)?,
            created_at: from_millis(row.get(at + 4)?)?,
            read_at: row
                .get::<_, Option<i64>>(at + 5)?
                .map(from_millis)
                .transpose()?,
        })
    }

    fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
        message_from_row_at(row, 0)
    }

    pub(crate) fn message(conn: &Connection, id: MessageId) -> Result<Message> {
        conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"
        ))?
        .query_row([id], message_from_row)
        .optional()?
        .ok_or(Error::MessageNotFound(id.0))
    }

    pub(crate) fn insert_message(
        conn: &Connection,
        thread: ThreadId,
        sender: UserId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<MessageId> {
        conn.prepare_cached(
            "INSERT INTO messages (thread_id, sender_id, text, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![thread, sender, text, to_millis(now)])?;
        Ok(MessageId(conn.last_insert_rowid()))
    }

    /// The counters a send moves: the thread's activity and last message,
    /// both members' activity, the recipient's unread counts. Two single-row
    /// member updates are cheaper than one `IN (…)` update (PERF-NOTES).
    pub(crate) fn record_send(
        conn: &Connection,
        thread: ThreadId,
        message: MessageId,
        sender: UserId,
        recipient: UserId,
        activity: DateTime<Utc>,
    ) -> Result<()> {
        let activity = to_millis(activity);
        conn.prepare_cached(
            "UPDATE threads SET last_activity_at = ?2, last_message_id = ?3 WHERE id = ?1",
        )?
        .execute(params![thread, activity, message])?;
        conn.prepare_cached(
            "UPDATE members SET last_activity_at = ?3 WHERE user_id = ?1 AND thread_id = ?2",
        )?
        .execute(params![sender, thread, activity])?;
        conn.prepare_cached(
            "UPDATE members SET last_activity_at = ?3, unread = unread + 1 WHERE user_id = ?1 AND thread_id = ?2",
        )?
        .execute(params![recipient, thread, activity])?;
        conn.prepare_cached("UPDATE users SET unread_total = unread_total + 1 WHERE id = ?1")?
            .execute([recipient])?;
        Ok(())
    }

    /// The history page queries; see `EXPLAIN QUERY PLAN` in the tests.
    pub(crate) const PAGE_BEFORE: &str =
        "SELECT id, thread_id, sender_id, text, created_at, read_at
         FROM messages WHERE thread_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
    pub(crate) const PAGE_AFTER: &str = "SELECT id, thread_id, sender_id, text, created_at, read_at
         FROM messages WHERE thread_id = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3";

    pub(crate) fn page_before(
        conn: &Connection,
        thread: ThreadId,
        before: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let mut stmt = conn.prepare_cached(PAGE_BEFORE)?;
        let rows = stmt.query_map(params![thread, before, limit], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub(crate) fn page_after(
        conn: &Connection,
        thread: ThreadId,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let mut stmt = conn.prepare_cached(PAGE_AFTER)?;
        let rows = stmt.query_map(params![thread, after, limit], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub(crate) fn mark_one_read(
        conn: &Connection,
        message: &Message,
        reader: UserId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        conn.prepare_cached("UPDATE messages SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL")?
            .execute(params![message.id, to_millis(now)])?;
        take_from_unread(conn, reader, message.thread_id, 1)
    }

    fn take_from_unread(
        conn: &Connection,
        reader: UserId,
        thread: ThreadId,
        count: i64,
    ) -> Result<()> {
        conn.prepare_cached(
            "UPDATE members SET unread = unread - ?3 WHERE user_id = ?1 AND thread_id = ?2",
        )?
        .execute(params![reader, thread, count])?;
        conn.prepare_cached("UPDATE users SET unread_total = unread_total - ?2 WHERE id = ?1")?
            .execute(params![reader, count])?;
        Ok(())
    }

    /// Marks `sender`'s messages with ids in (last_read_id, bound] read. Every
    /// message at or below `last_read_id` is already read, so only the
    /// backlog is scanned.
    pub(crate) fn mark_read_up_to(
        conn: &Connection,
        thread: ThreadId,
        reader: UserId,
        sender: UserId,
        bound: MessageId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let last_read: i64 = conn
            .prepare_cached(
                "SELECT last_read_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .query_row(params![reader, thread], |row| row.get(0))?;
        if bound.0 <= last_read {
            return Ok(0);
        }
        let marked = conn
            .prepare_cached(
                "UPDATE messages SET read_at = ?5
                 WHERE thread_id = ?1 AND id > ?2 AND id <= ?3 AND sender_id = ?4 AND read_at IS NULL",
            )?
            .execute(params![thread, last_read, bound, sender, to_millis(now)])?;
        conn.prepare_cached(
            "UPDATE members SET last_read_id = ?3 WHERE user_id = ?1 AND thread_id = ?2",
        )?
        .execute(params![reader, thread, bound])?;
        if marked > 0 {
            take_from_unread(conn, reader, thread, marked as i64)?;
        }
        Ok(marked as u64)
    }

    /// The session's user's unread total, checking the session on the way.
    pub(crate) fn unread_total_for_session(
        conn: &Connection,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let row: Option<(i64, i64)> = conn
            .prepare_cached(UNREAD_FOR_SESSION)?
            .query_row([&token_hash[..]], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((expires_at, total)) = row else {
            return Err(Error::SessionInvalid);
        };
        crate::accounts::sql::require_unexpired(expires_at, now)?;
        Ok(total.max(0) as u64)
    }

    /// See `EXPLAIN QUERY PLAN` in the tests.
    pub(crate) const UNREAD_FOR_SESSION: &str = "SELECT s.expires_at, u.unread_total
         FROM sessions s CROSS JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1";

    /// Recomputes the counters from the messages; with `repair`, writes the
    /// right values over the wrong ones.
    /// Users checked per read transaction by [`Store::verify_unread`].
    pub(crate) const UNREAD_CHECK_BATCH: i64 = 200;

    /// Checks (and with `repair`, fixes) every counter, in one transaction.
    pub(crate) fn check_unread(conn: &Connection, repair: bool) -> Result<UnreadReport> {
        let mut report = UnreadReport::default();
        let mut after = Some(UserId(0));
        while let Some(from) = after {
            after = check_unread_batch(conn, from, i64::MAX, repair, &mut report)?;
        }
        Ok(report)
    }

    /// Checks the counters of up to `limit` users with ids above `after`
    /// (each user's per-thread counters and total against the messages,
    /// so one batch is consistent on its own) and adds them to `report`.
    /// Returns the last user id checked, or `None` when there were none.
    pub(crate) fn check_unread_batch(
        conn: &Connection,
        after: UserId,
        limit: i64,
        repair: bool,
        report: &mut UnreadReport,
    ) -> Result<Option<UserId>> {
        let mut users = conn.prepare_cached(
            "SELECT id, unread_total FROM users WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let users = users
            .query_map(params![after, limit], |row| {
                Ok((row.get::<_, UserId>(0)?, row.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut members = conn.prepare_cached(
            "SELECT mb.thread_id, mb.unread,
                    (SELECT count(*) FROM messages m
                     WHERE m.thread_id = mb.thread_id AND m.sender_id = mb.other_id AND m.read_at IS NULL)
             FROM members mb WHERE mb.user_id = ?1",
        )?;
        let found = report.mismatches.len();
        for &(user_id, stored_total) in &users {
            let mut total = 0;
            let mut rows = members.query([user_id])?;
            while let Some(row) = rows.next()? {
                let (thread_id, stored, actual): (ThreadId, i64, i64) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                report.threads_checked += 1;
                total += actual;
                if stored != actual {
                    report.mismatches.push(UnreadMismatch {
                        user_id,
                        thread_id: Some(thread_id),
                        stored,
                        actual,
                    });
                }
            }
            report.users_checked += 1;
            if stored_total != total {
                report.mismatches.push(UnreadMismatch {
                    user_id,
                    thread_id: None,
                    stored: stored_total,
                    actual: total,
                });
            }
        }
        if repair {
            for mismatch in &report.mismatches[found..] {
                match mismatch.thread_id {
                    Some(thread) => conn.execute(
                        "UPDATE members SET unread = ?3 WHERE user_id = ?1 AND thread_id = ?2",
                        params![mismatch.user_id, thread, mismatch.actual],
                    )?,
                    None => conn.execute(
                        "UPDATE users SET unread_total = ?2 WHERE id = ?1",
                        params![mismatch.user_id, mismatch.actual],
                    )?,
                };
            }
        }
        Ok(users.last().map(|&(id, _)| id))
    }
}
