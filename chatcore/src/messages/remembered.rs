//! A session's memory of its last send, so that the next send in the same
//! thread need not read what it decides from first.
//!
//! A send decides from the session's row (the session rule, and whether
//! `last_used_at` is due a refresh) and the thread (its participants and
//! its activity). After a send the session remembers both. The next send
//! in that thread decides from the remembered rows, with the same rule
//! functions, and writes with a [`SendGuard`]: the write happens only if,
//! in the same write, the session row still exists for the sender and the
//! thread still has those participants and no newer activity. Then what
//! was remembered is what a read would have found:
//!
//! - a session row changes only by its `last_used_at` refresh, which the
//!   remembered row must not be due (otherwise the send reads);
//! - a logout or revocation (in any process) deletes the row, and the
//!   guard fails;
//! - a thread's participants never change; a deleted thread fails the
//!   guard;
//! - a thread's activity only grows, and a newer one fails the guard.
//!
//! When the guard fails nothing was written, and the send runs again the
//! ordinary way (read, decide, write), which also gives the right error.
//! On PostgreSQL this makes a send one round trip instead of two
//! (`postgres::fused_sql::GUARDED_SEND`); on SQLite the guard is read in
//! the write's transaction (`storage::fused::check_guard_then_send`).

use super::{Message, write_send};
use crate::accounts::{Remembered, Session, last_used_is_stale, require_session};
use crate::error::Result;
use crate::ids::ThreadId;
use crate::models::Thread;
use crate::storage::{SendGuard, SessionRow};
use chrono::{DateTime, Utc};

/// The thread's activity after a message sent at `now`: activity never
/// moves back in time.
pub(crate) fn activity_after(thread: &Thread, now: DateTime<Utc>) -> DateTime<Utc> {
    thread.last_activity_at.max(now)
}

impl Session {
    /// Sends `text` in `thread` decided from the remembered rows, if there
    /// are rows for that thread that need no refresh and the guard holds:
    /// the message, or `None` (nothing written: send the ordinary way).
    pub(super) fn send_as_remembered(
        &self,
        thread: ThreadId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Message>> {
        let Some(known) = self.recall(thread, now) else {
            return Ok(None);
        };
        let guard = SendGuard {
            token_hash: self.token_hash(),
            participants: known.thread.participants,
        };
        let config = self.store.config();
        let decided = (&known.thread, known.session.user_id, text, None, now);
        let sent = self
            .store
            .write(|tx| write_send(tx, decided, Some(&guard), config));
        let remembered = match &sent {
            Ok(Some(_)) => Some((known.session, &known.thread)),
            _ => None,
        };
        self.remember_send(remembered, now);
        sent
    }

    /// Remembers the rows a send in `thread` at `now` was decided from
    /// (the session row as stored after it), or forgets them (`None`: the
    /// send failed, or it did not use them).
    pub(super) fn remember_send(&self, rows: Option<(SessionRow, &Thread)>, now: DateTime<Utc>) {
        let Ok(mut memory) = self.remembered.lock() else {
            return;
        };
        *memory = rows.map(|(session, thread)| Remembered {
            session,
            thread: Thread {
                last_activity_at: activity_after(thread, now),
                ..thread.clone()
            },
        });
    }

    /// The remembered rows for a send in `thread` at `now`: only if the
    /// session rule passes on the remembered row and its `last_used_at` is
    /// not due a refresh (a refresh is a write the ordinary send does).
    fn recall(&self, thread: ThreadId, now: DateTime<Utc>) -> Option<Remembered> {
        let known = self.remembered.lock().ok()?.clone()?;
        let usable = known.thread.id == thread
            && require_session(Some(known.session), now).is_ok()
            && !last_used_is_stale(known.session.last_used_at, now);
        usable.then_some(known)
    }
}

#[cfg(test)]
mod tests;
