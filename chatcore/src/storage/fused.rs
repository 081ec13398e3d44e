//! [`FusedStorage`]: storage calls that do, in one call, what an operation
//! would otherwise ask in several, so that a backend where every call is a
//! round trip to a server (PostgreSQL) can answer in one statement.
//!
//! # Design
//!
//! - **The rules do not move.** A fused read only fetches what an
//!   operation's rules decide from (the session row for a token, the thread,
//!   the caller's marks, the page the operation would read next); the
//!   operation then applies the same rule functions as before, in Rust
//!   (`accounts::require_session`, `threads::require_participant`, …). A
//!   fused write only applies writes the Rust code has already decided (a
//!   send's insert, activity, counters and feed entries).
//! - **Every method has a default** that composes the ordinary methods of
//!   the other storage traits, in the order the operation called them
//!   before. SQLite, where a call costs no round trip, keeps the defaults:
//!   its statements and behaviour are unchanged.
//! - **What a default does not fetch is `None`** in the fields marked
//!   "fetched": the operation then reads it with the ordinary method, after
//!   the checks it needs. A backend that fetches it with the context (in
//!   the same statement) fills it in, and the operation uses it.
//! - In a write transaction, the context reads lock what the ordinary reads
//!   lock (the thread row, see `postgres`), and what the operation would
//!   read after that lock (the caller's member row) is read locked too, so
//!   that it is as fresh as a read after the lock.

use super::{AccountStorage, FeedStorage, InboxKey, InboxRow, LifeStorage, MessageStorage};
use super::{NewChange, NewMessage, SessionRow, ThreadStorage};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Message, Thread};
use chrono::{DateTime, Utc};

/// The caller's member row of a thread, as a fused read fetched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberMarks {
    /// The thread's newest message id (`ThreadStorage::last_message_id`).
    pub last_message: Option<MessageId>,
    /// The caller's read mark (`MessageStorage::last_read_id`).
    pub read_mark: MessageId,
    /// The caller's clear mark (`LifeStorage::cleared_through`).
    pub clear_mark: Option<MessageId>,
}

/// What an operation on one thread through a session decides from.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadContext {
    /// The session with the token, if any.
    pub session: Option<SessionRow>,
    /// The thread with the id, if any (`None` also when there is no
    /// session: the operation stops there).
    pub thread: Option<Thread>,
    /// Fetched: the session user's member row of the thread (`None`: not
    /// fetched, or the user is not a member).
    pub marks: Option<MemberMarks>,
    /// Fetched: the history page asked for, newest first, as
    /// `MessageStorage::page_before` returns it.
    pub page: Option<Vec<Message>>,
}

/// What marking one message read through a session decides from.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageContext {
    /// The session with the token, if any.
    pub session: Option<SessionRow>,
    /// The message, if any.
    pub message: Option<Message>,
    /// Fetched: the message's thread (`Some(None)`: fetched, there is none).
    pub thread: Option<Option<Thread>>,
    /// Fetched: the session user's member row of that thread.
    pub marks: Option<MemberMarks>,
}

/// What create-or-get decides from ([`FusedStorage::pair_context`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct PairContext {
    /// The session of the token, if any.
    pub session: Option<SessionRow>,
    /// The pair's thread, if it has one (looked up only with a session).
    pub thread: Option<Thread>,
    /// Whether the pair's lower and higher user exist (fetched).
    pub users: Option<[bool; 2]>,
}

/// Everything an already-decided send writes (`messages::record_send`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendWrite<'a> {
    /// The message.
    pub message: NewMessage<'a>,
    /// The thread's new activity time (also both members').
    pub activity: DateTime<Utc>,
    /// Each member with what its unread counter gains.
    pub members: [(UserId, i64); 2],
    /// The user whose unread total gains, and by how much.
    pub total: (UserId, i64),
    /// The feed entries to append, in order; each names the new message
    /// (its `message_id` is replaced by the inserted id).
    pub feed: &'a [NewChange],
    /// Nothing the call does after this write must be atomic with it: what
    /// may follow is the feed's upkeep (`feed::appended`), which stands
    /// alone. A backend may then commit the call's transaction with this
    /// write (PostgreSQL sends the `COMMIT` in the same round trip) and run
    /// what follows in a transaction of its own.
    pub last: bool,
}

/// What a send was decided from without reading it in its transaction: a
/// session's remembered row and thread (`messages::remembered`). A guarded
/// write happens only if, in the same write, the session row still exists
/// for the sender and the thread still has these participants with an
/// activity time at or before the send's (so that the decided activity is
/// still the newest): what was remembered is then what a read would have
/// found, and the rules decided on it hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendGuard<'a> {
    /// The session's token hash.
    pub token_hash: &'a [u8; 32],
    /// The thread's participants, lower id first.
    pub participants: [UserId; 2],
}

/// What a new pair's thread was decided from without reading it in its
/// transaction: create-or-get's first read (`threads::new_pair`). The
/// guarded write happens only if, in the same write, the session row still
/// exists for `user`, both users of the pair still exist and the pair still
/// has no thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PairGuard<'a> {
    /// The session's token hash.
    pub token_hash: &'a [u8; 32],
    /// The session's user (the caller, one of the pair).
    pub user: UserId,
}

/// Counter changes and feed entries an operation decided together (a read
/// mark's: `messages::take_read_from_unread`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountsWrite<'a> {
    /// A member's unread counter (user, thread) and what it gains.
    pub member: (UserId, ThreadId, i64),
    /// A user's unread total and what it gains.
    pub total: (UserId, i64),
    /// The feed entries to append, in order.
    pub feed: &'a [NewChange],
    /// As [`SendWrite::last`].
    pub last: bool,
}

/// Fused calls: see the module docs. Implemented by every transaction
/// object; a backend overrides what it can do in fewer round trips.
pub(crate) trait FusedStorage:
    AccountStorage + ThreadStorage + MessageStorage + LifeStorage + FeedStorage
{
    /// The session with `token_hash`, the thread `thread` (when there is a
    /// session) and, when `page` is given, a backend may add the history
    /// page `page_before(thread, page.0, page.1)`.
    fn thread_context(
        &mut self,
        token_hash: &[u8; 32],
        thread: ThreadId,
        page: Option<(MessageId, u32)>,
    ) -> Result<ThreadContext> {
        let _ = page;
        let session = self.session(token_hash)?;
        let thread = match session {
            Some(_) => self.thread(thread)?,
            None => None,
        };
        Ok(ThreadContext {
            session,
            thread,
            ..ThreadContext::default()
        })
    }

    /// The session with `token_hash` and (when there is one) the message
    /// `id`; a backend may add the message's thread and the session user's
    /// marks in it.
    fn message_context(&mut self, token_hash: &[u8; 32], id: MessageId) -> Result<MessageContext> {
        let session = self.session(token_hash)?;
        let message = match session {
            Some(_) => self.message(id)?,
            None => None,
        };
        Ok(MessageContext {
            session,
            message,
            ..MessageContext::default()
        })
    }

    /// The session with `token_hash` and (when there is one) the thread of
    /// the ordered pair; a backend may add whether each user of the pair
    /// exists (`users`, fetched).
    fn pair_context(
        &mut self,
        token_hash: &[u8; 32],
        (low, high): (UserId, UserId),
    ) -> Result<PairContext> {
        let session = self.session(token_hash)?;
        let thread = match session {
            Some(_) => self.thread_by_pair(low, high)?,
            None => None,
        };
        Ok(PairContext {
            session,
            thread,
            users: None,
        })
    }

    /// Appends `entries` to their users' feeds (as
    /// [`FeedStorage::append_change`] each, in order) and returns each
    /// one's `seq`.
    /// With `_last` (as [`SendWrite::last`]) a backend may commit with them.
    fn append_changes(&mut self, entries: &[NewChange], _last: bool) -> Result<Vec<i64>> {
        compose_appends(self, entries)
    }

    /// The session with `token_hash`; a backend may add the session user's
    /// inbox page `inbox(user, key, limit)` (fetched).
    fn inbox_context(
        &mut self,
        token_hash: &[u8; 32],
        key: InboxKey,
        limit: u32,
    ) -> Result<(Option<SessionRow>, Option<Vec<InboxRow>>)> {
        let _ = (key, limit);
        Ok((self.session(token_hash)?, None))
    }

    /// Writes a decided send: inserts the message, sets the thread's
    /// activity and newest message, each member's activity and unread
    /// counter, the user's total and appends the feed entries. Returns the
    /// message id and each entry's `seq`, in the order of `send.feed`. A
    /// client key in use fails as [`MessageStorage::insert_message`] does,
    /// with nothing written.
    fn apply_send(&mut self, send: &SendWrite<'_>) -> Result<(MessageId, Vec<i64>)> {
        compose_send(self, send)
    }

    /// [`FusedStorage::apply_send`] if `guard` still holds (see
    /// [`SendGuard`]); `None`, with nothing written, if it does not.
    fn apply_guarded_send(
        &mut self,
        guard: &SendGuard<'_>,
        send: &SendWrite<'_>,
    ) -> Result<Option<(MessageId, Vec<i64>)>> {
        check_guard_then_send(self, guard, send)
    }

    /// A new thread for the pair of `new` (with both member rows) and the
    /// feed entries `feed` naming it (their `thread_id` is replaced by the
    /// new id), if `guard` still holds (see [`PairGuard`]): the thread's id
    /// and each entry's `seq`, or `None` with nothing written. The write is
    /// the call's last ([`SendWrite::last`]).
    fn apply_guarded_new_thread(
        &mut self,
        guard: &PairGuard<'_>,
        new: &super::NewThread,
        feed: &[NewChange],
    ) -> Result<Option<(ThreadId, Vec<i64>)>> {
        check_guard_then_create(self, guard, new, feed)
    }

    /// Moves the counters of `write` and appends its feed entries; returns
    /// each entry's `seq`, in order.
    fn apply_counts(&mut self, write: &CountsWrite<'_>) -> Result<Vec<i64>> {
        compose_counts(self, write)
    }

    /// Sets the read time of the message `id` to `at` if it has none and is
    /// not withdrawn ([`MessageStorage::set_message_read`]) and, only if it
    /// did, applies `write` as [`FusedStorage::apply_counts`] does: each
    /// entry's `seq`, or `None` (nothing written) when the message was
    /// already read.
    fn apply_read(
        &mut self,
        id: MessageId,
        at: DateTime<Utc>,
        write: &CountsWrite<'_>,
    ) -> Result<Option<Vec<i64>>> {
        if !self.set_message_read(id, at)? {
            return Ok(None);
        }
        self.apply_counts(write).map(Some)
    }

    /// Sets the read time of `sender`'s unread messages in the thread with
    /// ids in `(after, up_to]` ([`MessageStorage::set_messages_read`]) and
    /// `reader`'s read mark to `up_to` ([`MessageStorage::set_last_read_id`]);
    /// how many messages it set.
    fn mark_backlog_read(
        &mut self,
        thread: ThreadId,
        (sender, reader): (UserId, UserId),
        after: MessageId,
        up_to: MessageId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let marked = self.set_messages_read(thread, sender, after, up_to, now)?;
        self.set_last_read_id(reader, thread, up_to)?;
        Ok(marked)
    }
}

/// [`FusedStorage::apply_guarded_send`] call by call: the guard's rows read
/// in the transaction (the thread as a write reads it, locked where the
/// backend locks), then [`FusedStorage::apply_send`] if it holds.
pub(crate) fn check_guard_then_send(
    tx: &mut (impl FusedStorage + ?Sized),
    guard: &SendGuard<'_>,
    send: &SendWrite<'_>,
) -> Result<Option<(MessageId, Vec<i64>)>> {
    let session = tx.session(guard.token_hash)?;
    let thread = tx.thread(send.message.thread_id)?;
    let holds = match (session, thread) {
        (Some(session), Some(thread)) => {
            session.user_id == send.message.sender_id
                && thread.participants == guard.participants
                && thread.last_activity_at <= send.activity
        }
        _ => false,
    };
    match holds {
        true => tx.apply_send(send).map(Some),
        false => Ok(None),
    }
}

/// [`FusedStorage::apply_guarded_new_thread`] call by call: the guard's
/// rows read in the transaction, then the thread and its entries.
pub(crate) fn check_guard_then_create(
    tx: &mut (impl FusedStorage + ?Sized),
    guard: &PairGuard<'_>,
    new: &super::NewThread,
    feed: &[NewChange],
) -> Result<Option<(ThreadId, Vec<i64>)>> {
    let holds = tx.session(guard.token_hash)?.map(|row| row.user_id) == Some(guard.user)
        && tx.user_exists(new.low)?
        && tx.user_exists(new.high)?
        && tx.thread_by_pair(new.low, new.high)?.is_none();
    if !holds {
        return Ok(None);
    }
    let id = tx.insert_thread(new)?;
    let feed: Vec<NewChange> = feed
        .iter()
        .map(|entry| NewChange {
            thread_id: Some(id),
            ..*entry
        })
        .collect();
    let seqs = tx.append_changes(&feed, true)?;
    Ok(Some((id, seqs)))
}

/// [`FusedStorage::apply_counts`] call by call.
pub(crate) fn compose_counts(
    tx: &mut (impl FusedStorage + ?Sized),
    write: &CountsWrite<'_>,
) -> Result<Vec<i64>> {
    let (user, thread, delta) = write.member;
    tx.add_member_unread(user, thread, delta)?;
    tx.add_unread_total(write.total.0, write.total.1)?;
    compose_appends(tx, write.feed)
}

/// [`FusedStorage::append_changes`] call by call: each entry with
/// [`FeedStorage::append_change`], in order; returns their `seq`s.
pub(crate) fn compose_appends(
    tx: &mut (impl FeedStorage + ?Sized),
    entries: &[NewChange],
) -> Result<Vec<i64>> {
    entries
        .iter()
        .map(|entry| Ok(tx.append_change(entry)?.1))
        .collect()
}

/// [`FusedStorage::apply_send`] call by call: the default, and what a
/// backend falls back to for a send its one statement does not cover.
pub(crate) fn compose_send(
    tx: &mut (impl FusedStorage + ?Sized),
    send: &SendWrite<'_>,
) -> Result<(MessageId, Vec<i64>)> {
    let id = tx.insert_message(&send.message)?;
    let thread = send.message.thread_id;
    tx.set_thread_activity(thread, send.activity, id)?;
    // Two single-row member updates are cheaper than one `IN (…)` update
    // (PERF-NOTES).
    for (user, unread) in send.members {
        tx.set_member_activity(user, thread, send.activity, unread)?;
    }
    tx.add_unread_total(send.total.0, send.total.1)?;
    let mut seqs = Vec::with_capacity(send.feed.len());
    for entry in send.feed {
        let entry = NewChange {
            message_id: Some(id),
            ..*entry
        };
        seqs.push(tx.append_change(&entry)?.1);
    }
    Ok((id, seqs))
}
