//! Two-person threads: create-or-get, reading one, and deletion.
//!
//! The rules (exactly two distinct participants, the caller among them, only
//! participants act on a thread, create-or-get) are the functions here; the
//! records are read and written through [`ThreadStorage`]. The inbox is in
//! `inbox`.

use crate::accounts::{Caller, Session};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::storage::{NewThread, ThreadStorage};
use chrono::{DateTime, Utc};

pub use crate::models::Thread;

mod new_pair;

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
    other_of(thread.participants, caller)
}

/// The participant check, the one place it is decided: `user` must be one
/// of the pair; returns the other ([`Error::NotParticipant`] otherwise).
pub(crate) fn other_of(participants: [UserId; 2], user: UserId) -> Result<UserId> {
    match participants {
        [a, b] if a == user => Ok(b),
        [a, b] if b == user => Ok(a),
        _ => Err(Error::NotParticipant),
    }
}

/// Whether a member's clear mark (`floor`, `None` if they never cleared
/// the thread) hides `message` from them: it does when its id is at or
/// below the mark.
pub(crate) fn hidden_from(message: &crate::models::Message, floor: Option<MessageId>) -> bool {
    floor.is_some_and(|floor| message.id <= floor)
}

/// A message the caller cleared from their view is, to them, not there:
/// [`Error::MessageNotFound`].
pub(crate) fn require_visible(
    tx: &mut (impl crate::storage::LifeStorage + ?Sized),
    message: &crate::models::Message,
    caller: UserId,
) -> Result<()> {
    let floor = tx.cleared_through(caller, message.thread_id)?;
    require_visible_above(message, floor)
}

/// [`require_visible`] with the caller's clear mark already read.
pub(crate) fn require_visible_above(
    message: &crate::models::Message,
    floor: Option<MessageId>,
) -> Result<()> {
    if hidden_from(message, floor) {
        return Err(Error::MessageNotFound(message.id.0));
    }
    Ok(())
}

/// The thread with this id, or [`Error::ThreadNotFound`].
pub(crate) fn existing(tx: &mut (impl ThreadStorage + ?Sized), id: ThreadId) -> Result<Thread> {
    found(tx.thread(id)?, id)
}

/// The thread `id` as read (by [`existing`], or by a fused read), or
/// [`Error::ThreadNotFound`].
pub(crate) fn found(thread: Option<Thread>, id: ThreadId) -> Result<Thread> {
    thread.ok_or(Error::ThreadNotFound(id.0))
}

/// Both users of an ordered pair exist, or [`Error::UserNotFound`] for the
/// first that does not. `known` is what a fused read already fetched
/// (whether the lower and the higher user exist); without it each user is
/// looked up.
pub(crate) fn require_users(
    tx: &mut (impl ThreadStorage + ?Sized),
    (low, high): (UserId, UserId),
    known: Option<[bool; 2]>,
) -> Result<()> {
    for (i, user) in [low, high].into_iter().enumerate() {
        let exists = match known {
            Some(known) => known[i],
            None => tx.user_exists(user)?,
        };
        if !exists {
            return Err(Error::UserNotFound(format!("no user has id {user}")));
        }
    }
    Ok(())
}

/// The one create-or-get: the pair's thread if it has one, else a new
/// thread (created and active at `created_at`) after checking both users
/// exist. Runs inside a write transaction, so the check and the insert see
/// the same state; the pair's uniqueness in the store is the backstop.
/// Returns the thread and whether it was created.
pub(crate) fn create_or_get(
    tx: &mut (impl ThreadStorage + ?Sized),
    (low, high): (UserId, UserId),
    created_at: DateTime<Utc>,
) -> Result<(Thread, bool)> {
    let existing = tx.thread_by_pair(low, high)?;
    create_unless_found(tx, (low, high), existing, None, created_at)
}

/// [`create_or_get`] after the pair's thread was looked up in this
/// transaction (`existing`), and perhaps its users too (`users`, as
/// [`require_users`] takes them).
pub(crate) fn create_unless_found(
    tx: &mut (impl ThreadStorage + ?Sized),
    (low, high): (UserId, UserId),
    existing: Option<Thread>,
    users: Option<[bool; 2]>,
    created_at: DateTime<Utc>,
) -> Result<(Thread, bool)> {
    if let Some(thread) = existing {
        return Ok((thread, false));
    }
    require_users(tx, (low, high), users)?;
    let id = tx.insert_thread(&NewThread {
        id: None,
        low,
        high,
        created_at,
        last_activity_at: created_at,
    })?;
    Ok((
        Thread {
            id,
            participants: [low, high],
            created_at,
            last_activity_at: created_at,
        },
        true,
    ))
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
        let pair = ordered_pair(participants)?;
        let require_caller = |caller: Caller| match caller.user_id {
            user if user == pair.0 || user == pair.1 => Ok(()),
            _ => Err(Error::NotParticipant),
        };
        // Most calls find the thread: answer them without the write lock.
        // An existing thread proves both users exist (foreign keys), so the
        // common case costs one lookup on the pair's unique index, read
        // with the session (one fused read). The user checks of a new pair
        // are only an early refusal: the write checks again.
        let now = self.store.now();
        let (found, session) = self.store.read_fused(|tx| {
            let context = tx.pair_context(self.token_hash(), pair)?;
            let session = crate::accounts::require_session(context.session, now)?;
            if context.thread.is_none() {
                require_users(tx, pair, context.users)?;
            }
            require_caller(Caller {
                user_id: session.user_id,
                now,
            })?;
            Ok((context.thread, session))
        })?;
        if let Some(thread) = found {
            return Ok((thread, false));
        }
        // A new pair: written as decided from that read if it still holds.
        if let Some(thread) = self.create_as_read(pair, &session, now)? {
            return Ok((thread, true));
        }
        // The write reads the same context again (one fused read): a
        // concurrent call may have made the thread since.
        let config = self.store.config();
        let now = self.store.now();
        self.store.write(|tx| {
            let context = tx.pair_context(self.token_hash(), pair)?;
            let caller = self.writer_of(tx, context.session, now)?;
            require_caller(caller)?;
            let (thread, created) =
                create_unless_found(tx, pair, context.thread, context.users, caller.now)?;
            if created {
                let kind = crate::feed::ChangeKind::ThreadCreated;
                crate::feed::on_thread(tx, kind, &thread, caller.user_id, caller.now, config)?;
            }
            Ok((thread, created))
        })
    }

    /// The caller and the thread of a write on thread `id`, from one fused
    /// read (the thread locked, with the caller's member marks when the
    /// backend fetched them): the session rule (and its refresh), then the
    /// thread found.
    pub(crate) fn thread_writer(
        &self,
        tx: &mut dyn crate::storage::Tx,
        id: ThreadId,
        now: DateTime<Utc>,
    ) -> Result<(Caller, Thread, Option<crate::storage::MemberMarks>)> {
        let (session, thread, marks) = self.thread_writer_row(tx, id, now)?;
        let caller = Caller {
            user_id: session.user_id,
            now,
        };
        Ok((caller, thread, marks))
    }

    /// [`Session::thread_writer`] with the session's row as it is stored
    /// after the call (refreshed: `last_used_at` is `now`).
    pub(crate) fn thread_writer_row(
        &self,
        tx: &mut dyn crate::storage::Tx,
        id: ThreadId,
        now: DateTime<Utc>,
    ) -> Result<(
        crate::storage::SessionRow,
        Thread,
        Option<crate::storage::MemberMarks>,
    )> {
        let context = tx.thread_context(self.token_hash(), id, None)?;
        let session = self.writer_row_of(tx, context.session, now)?;
        Ok((session, found(context.thread, id)?, context.marks))
    }

    /// The thread with this id.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn thread(&self, id: ThreadId) -> Result<Thread> {
        self.read(|tx, caller| {
            let thread = existing(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            Ok(thread)
        })
    }

    /// Deletes a thread and all its messages, for both participants.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn delete_thread(&self, id: ThreadId) -> Result<()> {
        let config = self.store.config();
        self.write(|tx, caller| {
            let thread = existing(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            // Its unread messages stop counting in both users' totals.
            for (user, unread) in tx.member_unread_counts(id)? {
                if unread != 0 {
                    tx.add_unread_total(user, -unread)?;
                }
            }
            tx.delete_thread(id)?;
            let kind = crate::feed::ChangeKind::ThreadDeleted;
            crate::feed::on_thread(tx, kind, &thread, caller.user_id, caller.now, config)
        })
    }
}
