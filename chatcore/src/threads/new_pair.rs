//! Create-or-get of a new pair without a second read.
//!
//! Create-or-get first reads the session, the pair's thread and whether
//! both users exist, outside a transaction (most calls find the thread). If
//! the pair has none, the rules decided on that read (the session rule, the
//! caller one of the pair, both users exist) and the new thread is written
//! with a [`PairGuard`]: only if, in the same write, the session row still
//! exists for the caller, both users still exist and the pair still has no
//! thread. Then the read was what a read in the write would have found.
//! When the guard fails (a concurrent create-or-get made the thread, a
//! logout, a deleted user) nothing is written and create-or-get runs its
//! locked path, which also gives the right answer or error. A session due
//! its `last_used_at` refresh takes the locked path too (the refresh is a
//! write of it). On PostgreSQL this makes a new pair two round trips (the
//! read; `BEGIN`, the thread, its members, both feed entries and `COMMIT`)
//! instead of four.

use crate::accounts::{Session, last_used_is_stale};
use crate::error::Result;
use crate::ids::UserId;
use crate::models::Thread;
use crate::storage::{NewChange, NewThread, PairGuard, SessionRow};
use chrono::{DateTime, Utc};

impl Session {
    /// The new thread of the pair `(low, high)`, written as decided from
    /// the first read (whose session row was `session`), or `None`:
    /// nothing written, take the locked path.
    pub(super) fn create_as_read(
        &self,
        (low, high): (UserId, UserId),
        session: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<Option<Thread>> {
        if last_used_is_stale(session.last_used_at, now) {
            return Ok(None);
        }
        let config = self.store.config();
        let guard = PairGuard {
            token_hash: self.token_hash(),
            user: session.user_id,
        };
        let new = NewThread {
            id: None,
            low,
            high,
            created_at: now,
            last_activity_at: now,
        };
        let feed = crate::feed::new_thread_entries([low, high], session.user_id, now);
        self.store.write(|tx| {
            let Some((id, seqs)) = tx.apply_guarded_new_thread(&guard, &new, &feed)? else {
                return Ok(None);
            };
            let feed = feed.map(|entry| NewChange {
                thread_id: Some(id),
                ..entry
            });
            crate::feed::appended(tx, &feed, &seqs, config)?;
            Ok(Some(Thread {
                id,
                participants: [low, high],
                created_at: now,
                last_activity_at: now,
            }))
        })
    }
}

#[cfg(test)]
mod tests;
