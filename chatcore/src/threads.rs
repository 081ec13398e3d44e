//! Two-person threads: create-or-get, the inbox, and deletion.
//!
//! The rules (exactly two distinct participants, the caller among them, only
//! participants act on a thread) are the functions at the top; the SQL is in
//! `sql` at the bottom.

use crate::accounts::{Caller, Session, User};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::messages::Message;
use crate::page;
use crate::store::{from_millis, to_millis};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A conversation between exactly two users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// The thread's id.
    pub id: ThreadId,
    /// The two participants, lower id first.
    pub participants: [UserId; 2],
    /// When the thread was created.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
    /// When the newest message was sent, or the creation time if none.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub last_activity_at: DateTime<Utc>,
}

impl Thread {
    /// The participant who is not `user`, or `None` if `user` is not a participant.
    pub fn other_participant(&self, user: UserId) -> Option<UserId> {
        match self.participants {
            [a, b] if a == user => Some(b),
            [a, b] if b == user => Some(a),
            _ => None,
        }
    }
}

/// One entry of a user's inbox ([`Session::list_threads`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    /// The thread.
    #[serde(flatten)]
    pub thread: Thread,
    /// The other participant.
    pub other: User,
    /// The newest message, if any.
    pub last_message: Option<Message>,
    /// Messages from the other participant this user has not read.
    pub unread_count: u64,
}

/// A page of the inbox, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadPage {
    /// The threads on this page.
    pub items: Vec<ThreadSummary>,
    /// Pass to [`ThreadQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Which page of the inbox to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadQuery<'a> {
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<&'a str>,
    /// Page size; default 50, at most 500.
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------------------
// Rules

/// Checks the shape of a participant list: exactly two, distinct. Returns the
/// pair ordered (lower id first), as the schema stores it.
pub(crate) fn ordered_pair(participants: &[UserId]) -> Result<(UserId, UserId)> {
    match participants {
        [a, b] if a == b => Err(Error::DuplicateParticipant),
        [a, b] => Ok((*a.min(b), *a.max(b))),
        other => Err(Error::WrongParticipantCount(other.len())),
    }
}

/// Only participants act on a thread; returns the other participant.
pub(crate) fn require_participant(thread: &Thread, caller: UserId) -> Result<UserId> {
    thread
        .other_participant(caller)
        .ok_or(Error::NotParticipant)
}

/// An inbox cursor: the last entry's activity time and thread id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    last_activity_ms: i64,
    thread_id: i64,
}

impl Cursor {
    const START: Cursor = Cursor {
        last_activity_ms: i64::MAX,
        thread_id: i64::MAX,
    };

    fn encode(self) -> String {
        format!("{}:{}", self.last_activity_ms, self.thread_id)
    }

    fn decode(text: &str) -> Result<Cursor> {
        let malformed = || {
            Error::InvalidArgument(format!(
                "malformed thread cursor {text:?}; pass a next_cursor exactly as returned"
            ))
        };
        let (activity, thread) = text.split_once(':').ok_or_else(malformed)?;
        Ok(Cursor {
            last_activity_ms: activity.parse().map_err(|_| malformed())?,
            thread_id: thread.parse().map_err(|_| malformed())?,
        })
    }
}

// ---------------------------------------------------------------------------
// Operations

impl Session {
    /// Returns the thread between the two `participants`, creating it if
    /// there is none; `created` tells which. The caller must be one of them.
    /// The pair is unique in the schema, so concurrent calls never make two.
    ///
    /// # Errors
    /// [`Error::WrongParticipantCount`], [`Error::DuplicateParticipant`],
    /// [`Error::UserNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn create_thread(&self, participants: &[UserId]) -> Result<(Thread, bool)> {
        let (low, high) = ordered_pair(participants)?;
        let check = |conn: &Connection, caller: Caller| -> Result<Option<Thread>> {
            // An existing thread proves both users exist (foreign keys), so
            // the common case costs one lookup on the pair's UNIQUE index.
            let existing = sql::thread_by_pair(conn, low, high)?;
            if existing.is_none() {
                for user in [low, high] {
                    if !sql::user_exists(conn, user)? {
                        return Err(Error::UserNotFound(format!("no user has id {user}")));
                    }
                }
            }
            if caller.user_id != low && caller.user_id != high {
                return Err(Error::NotParticipant);
            }
            Ok(existing)
        };
        // Most calls find the thread: answer them without the write lock.
        if let Some(thread) = self.read(|tx, caller| check(tx, caller))? {
            return Ok((thread, false));
        }
        self.write(|tx, caller| {
            if let Some(thread) = check(tx, caller)? {
                return Ok((thread, false));
            }
            let thread = sql::insert_thread(tx, low, high, caller.now)?;
            Ok((thread, true))
        })
    }

    /// The thread with this id.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn thread(&self, id: ThreadId) -> Result<Thread> {
        self.read(|tx, caller| {
            let thread = sql::thread(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            Ok(thread)
        })
    }

    /// One thread as the inbox shows it: with the other participant, the
    /// last message and this user's unread count in it.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn thread_summary(&self, id: ThreadId) -> Result<ThreadSummary> {
        self.read(|tx, caller| {
            let thread = sql::thread(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            sql::summary(tx, caller.user_id, id)
        })
    }

    /// The user's threads, newest activity first, each with the other
    /// participant, the last message and the user's unread count in it.
    /// Keyset-paged: each page costs the same however deep.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad limit or cursor, or a session error.
    pub fn list_threads(&self, query: &ThreadQuery<'_>) -> Result<ThreadPage> {
        let limit = page::limit(query.limit)?;
        let cursor = match query.cursor {
            Some(text) => Cursor::decode(text)?,
            None => Cursor::START,
        };
        self.read(|tx, caller| {
            let mut items = sql::inbox(tx, caller.user_id, cursor, limit + 1)?;
            let next_cursor = match items.len() > limit as usize {
                true => {
                    items.truncate(limit as usize);
                    items.last().map(|(summary, activity_ms)| {
                        Cursor {
                            last_activity_ms: *activity_ms,
                            thread_id: summary.thread.id.0,
                        }
                        .encode()
                    })
                }
                false => None,
            };
            Ok(ThreadPage {
                items: items.into_iter().map(|(summary, _)| summary).collect(),
                next_cursor,
            })
        })
    }

    /// Deletes a thread and all its messages, for both participants.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn delete_thread(&self, id: ThreadId) -> Result<()> {
        self.write(|tx, caller| {
            let thread = sql::thread(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            sql::delete_thread(tx, id)
        })
    }
}

// ---------------------------------------------------------------------------
// Storage

pub(crate) mod sql {
    use super::*;
    use crate::accounts::sql::user_from_row_at;
    use crate::messages::sql::message_from_row_at;

    const THREAD_COLUMNS: &str = "id, user_low, user_high, created_at, last_activity_at";

    fn thread_from_row(row: &Row<'_>) -> rusqlite::Result<Thread> {
        Ok(Thread {
            id: row.get(0)?,
            participants: [row.get(1)?, row.get(2)?],
            created_at: from_millis(row.get(3)?)?,
            last_activity_at: from_millis(row.get(4)?)?,
        })
    }

    pub(crate) fn user_exists(conn: &Connection, id: UserId) -> Result<bool> {
        Ok(conn
            .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub(crate) fn thread_by_pair(
        conn: &Connection,
        low: UserId,
        high: UserId,
    ) -> Result<Option<Thread>> {
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE user_low = ?1 AND user_high = ?2"
            ))?
            .query_row([low, high], thread_from_row)
            .optional()?)
    }

    pub(crate) fn thread(conn: &Connection, id: ThreadId) -> Result<Thread> {
        conn.prepare_cached(&format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1"
        ))?
        .query_row([id], thread_from_row)
        .optional()?
        .ok_or(Error::ThreadNotFound(id.0))
    }

    /// The thread's newest message id, if it has any.
    pub(crate) fn last_message_id(conn: &Connection, id: ThreadId) -> Result<Option<MessageId>> {
        Ok(conn
            .prepare_cached("SELECT last_message_id FROM threads WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?
            .flatten())
    }

    pub(crate) fn insert_thread(
        conn: &Connection,
        low: UserId,
        high: UserId,
        now: DateTime<Utc>,
    ) -> Result<Thread> {
        let now_ms = to_millis(now);
        conn.prepare_cached(
            "INSERT INTO threads (user_low, user_high, created_at, last_activity_at) VALUES (?1, ?2, ?3, ?3)",
        )?
        .execute(params![low, high, now_ms])?;
        let id = ThreadId(conn.last_insert_rowid());
        let mut member = conn.prepare_cached(
            "INSERT INTO members (user_id, thread_id, other_id, last_activity_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        member.execute(params![low, id, high, now_ms])?;
        member.execute(params![high, id, low, now_ms])?;
        Ok(Thread {
            id,
            participants: [low, high],
            created_at: now,
            last_activity_at: now,
        })
    }

    /// One range scan of `members_inbox`, plus one lookup per row for the
    /// other user and the last message. Returns each entry with its member
    /// activity time, for the cursor.
    pub(crate) fn inbox(
        conn: &Connection,
        user: UserId,
        cursor: Cursor,
        limit: u32,
    ) -> Result<Vec<(ThreadSummary, i64)>> {
        let mut stmt = conn.prepare_cached(INBOX)?;
        let rows = stmt.query_map(
            params![user, cursor.last_activity_ms, cursor.thread_id, limit],
            summary_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One inbox entry, by thread id.
    pub(crate) fn summary(
        conn: &Connection,
        user: UserId,
        thread: ThreadId,
    ) -> Result<ThreadSummary> {
        let mut stmt = conn.prepare_cached(SUMMARY)?;
        let (summary, _) = stmt.query_row(params![user, thread], summary_from_row)?;
        Ok(summary)
    }

    /// Maps a row of [`INBOX`] or [`SUMMARY`] (the same columns).
    fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<(ThreadSummary, i64)> {
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
                    msg.id, msg.thread_id, msg.sender_id, msg.text, msg.created_at, msg.read_at
             FROM members m
             CROSS JOIN threads t ON t.id = m.thread_id
             CROSS JOIN users u ON u.id = m.other_id
             LEFT JOIN messages msg ON msg.id = t.last_message_id"
        };
    }

    /// The inbox page query; see `EXPLAIN QUERY PLAN` in the tests.
    pub(crate) const INBOX: &str = concat!(
        summary_select!(),
        " WHERE m.user_id = ?1 AND (m.last_activity_at, m.thread_id) < (?2, ?3)
          ORDER BY m.last_activity_at DESC, m.thread_id DESC
          LIMIT ?4"
    );

    /// One inbox entry by thread.
    const SUMMARY: &str = concat!(
        summary_select!(),
        " WHERE m.user_id = ?1 AND m.thread_id = ?2"
    );

    /// Deletes the thread, its member rows and its messages (by cascade),
    /// after taking its unread counts off both users' totals.
    pub(crate) fn delete_thread(conn: &Connection, id: ThreadId) -> Result<()> {
        conn.prepare_cached(
            "UPDATE users SET unread_total = unread_total - m.unread
             FROM members m WHERE m.thread_id = ?1 AND users.id = m.user_id",
        )?
        .execute([id])?;
        conn.prepare_cached("DELETE FROM threads WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}
