//! A message's life after its send: edit, delete for everyone (withdraw),
//! and clear a conversation for me.
//!
//! - **Edit** ([`Session::edit_message`]): only the sender, within the edit
//!   window ([`Config::edit_window`](crate::Config::edit_window), default
//!   48 hours), with the same text rules as a send. The message keeps its
//!   id and place and gains `edited_at`; read state does not change.
//! - **Withdraw** ([`Session::delete_message`]): only the sender, within the
//!   same window. The message stays as a tombstone (id, sender, times,
//!   `deleted_at`, empty text) so that history pages stay exact and the
//!   other participant sees something was withdrawn; its text is gone from
//!   the store. If it was unread, the recipient's counters drop at once
//!   (`messages::take_withdrawn_from_unread`).
//! - **Clear** ([`Session::clear_thread`]): the caller's clear mark becomes
//!   the thread's newest message id; messages at or below it are hidden from
//!   the caller only (history, previews, inbox, unread counts). The other
//!   participant sees nothing change.
//!
//! Each operation is one core function (`record_edit`, `record_withdrawal`,
//! `record_clear`) that returns what changed: the place a change feed
//! records its entry (edits and withdrawals for both participants, a clear
//! for the caller alone) and a search index drops or re-indexes.

use crate::accounts::Session;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::feed::ChangeKind;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::messages::{Message, take_from_unread, take_withdrawn_from_unread, validate_text};
use crate::storage::Tx;
use crate::threads::{existing, require_participant, require_visible};
use chrono::{DateTime, Duration, Utc};

// ---------------------------------------------------------------------------
// Rules

/// Only the sender changes a message after sending it, and only within
/// `window` of its sending ([`Error::NotSender`]; past the window
/// [`Error::InvalidArgument`] saying so).
pub(crate) fn require_own_change(
    message: &Message,
    caller: UserId,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<()> {
    if message.sender_id != caller {
        return Err(Error::NotSender);
    }
    if now - message.created_at > window {
        return Err(Error::InvalidArgument(format!(
            "message {} was sent at {}, more than {} ago; a message can be edited or \
             withdrawn only within {} of sending",
            message.id.0,
            crate::rfc3339::format(&message.created_at),
            describe(window),
            describe(window),
        )));
    }
    Ok(())
}

/// A window for people: whole hours when it is some, else minutes or seconds.
fn describe(window: Duration) -> String {
    match (
        window.num_hours(),
        window.num_minutes(),
        window.num_seconds(),
    ) {
        (hours, minutes, _) if hours > 0 && minutes % 60 == 0 => format!("{hours} hours"),
        (_, minutes, seconds) if minutes > 0 && seconds % 60 == 0 => format!("{minutes} minutes"),
        (_, _, seconds) => format!("{seconds} seconds"),
    }
}

/// The message with this id, in a thread the caller takes part in and
/// visible to them: [`Error::MessageNotFound`], [`Error::ThreadNotFound`]
/// or [`Error::NotParticipant`] otherwise. Returns it with the other
/// participant.
fn caller_message(
    tx: &mut (impl Tx + ?Sized),
    id: MessageId,
    caller: UserId,
) -> Result<(Message, UserId)> {
    let found = tx.message(id)?.ok_or(Error::MessageNotFound(id.0))?;
    let thread = existing(tx, found.thread_id)?;
    // Read again now that the thread is held (`existing` locks it where
    // writers run concurrently, as on PostgreSQL): the decisions rest on the
    // message as it is under that lock, not as a concurrent mark, edit or
    // withdrawal left it before (on SQLite, the one writer, it is the same).
    let message = tx.message(id)?.ok_or(Error::MessageNotFound(id.0))?;
    let other = require_participant(&thread, caller)?;
    require_visible(tx, &message, caller)?;
    Ok((message, other))
}

/// The one edit: checks the caller may change message `id` now
/// ([`require_own_change`]), refuses a withdrawn message, and stores the
/// new text (already valid) with `edited_at = now`. Read state and place do
/// not change. Returns the message as it now is. **Feed:** an edit entry
/// for both participants; **search:** re-index this message.
pub(crate) fn record_edit(
    tx: &mut (impl Tx + ?Sized),
    id: MessageId,
    caller: UserId,
    text: &str,
    now: DateTime<Utc>,
    config: &Config,
) -> Result<Message> {
    let (mut message, recipient) = caller_message(tx, id, caller)?;
    require_own_change(&message, caller, now, config.edit_window)?;
    if message.deleted_at.is_some() {
        return Err(Error::InvalidArgument(format!(
            "message {} was withdrawn; a withdrawn message cannot be edited",
            id.0
        )));
    }
    tx.set_message_text(id, text, now)?;
    message.text = text.to_string();
    message.edited_at = Some(now);
    let kind = ChangeKind::MessageEdited;
    crate::feed::on_message_changed(tx, kind, &message, recipient, now, config)?;
    Ok(message)
}

/// The one withdrawal (delete for everyone): checks the caller may change
/// message `id` now ([`require_own_change`]), takes it off the recipient's
/// unread counters if it counted there, and replaces it with its tombstone.
/// Withdrawing a withdrawn message changes nothing (a retry). Returns the
/// tombstone and whether it changed. **Feed:** when changed, a withdrawal
/// entry for both participants; **search:** drop this message.
pub(crate) fn record_withdrawal(
    tx: &mut (impl Tx + ?Sized),
    id: MessageId,
    caller: UserId,
    now: DateTime<Utc>,
    config: &Config,
) -> Result<(Message, bool)> {
    let (mut message, recipient) = caller_message(tx, id, caller)?;
    if message.sender_id != caller {
        return Err(Error::NotSender);
    }
    if message.deleted_at.is_some() {
        return Ok((message, false));
    }
    require_own_change(&message, caller, now, config.edit_window)?;
    take_withdrawn_from_unread(tx, &message, recipient)?;
    tx.withdraw_message(id, now)?;
    message.text.clear();
    message.deleted_at = Some(now);
    let kind = ChangeKind::MessageDeleted;
    crate::feed::on_message_changed(tx, kind, &message, recipient, now, config)?;
    Ok((message, true))
}

/// What a clear did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cleared {
    /// The caller's clear mark now: the thread's newest message id (0 for
    /// an empty thread).
    pub through: MessageId,
    /// Whether the mark moved (clearing again with no new message does not).
    pub changed: bool,
}

/// The one clear (clear for me): the caller's clear mark becomes the
/// thread's newest message id, their unread counter for the thread drops to
/// zero (every message they had unread there is now hidden), and their read
/// mark moves up to the clear mark, so a later "mark thread read" starts
/// after it. Nothing of the other participant's changes. **Feed:** when
/// changed, a clear entry for the caller alone; **search:** drop the
/// caller's results in the thread up to `through`.
pub(crate) fn record_clear(
    tx: &mut (impl Tx + ?Sized),
    thread_id: ThreadId,
    caller: UserId,
    now: DateTime<Utc>,
    config: &Config,
) -> Result<Cleared> {
    let thread = existing(tx, thread_id)?;
    require_participant(&thread, caller)?;
    let through = tx.last_message_id(thread_id)?.unwrap_or(MessageId(0));
    if tx.cleared_through(caller, thread_id)? == Some(through) {
        return Ok(Cleared {
            through,
            changed: false,
        });
    }
    let (unread, last_read) = tx.member_read_state(caller, thread_id)?;
    if unread != 0 {
        take_from_unread(tx, caller, thread_id, unread)?;
    }
    if last_read < through {
        tx.set_last_read_id(caller, thread_id, through)?;
    }
    tx.set_cleared_through(caller, thread_id, through)?;
    crate::feed::on_clear(tx, thread_id, through, caller, now, config)?;
    Ok(Cleared {
        through,
        changed: true,
    })
}

// ---------------------------------------------------------------------------
// Operations

impl Session {
    /// Replaces the text of one of this user's own messages, within the
    /// edit window ([`Config::edit_window`](crate::Config::edit_window),
    /// default 48 hours) of its sending. The text follows the rules of a
    /// send. The message keeps its id and place in the thread, its read
    /// state does not change, and it gains `edited_at`; both participants
    /// see the new text. Returns the message as it now is.
    ///
    /// ```
    /// use chatcore::{Config, NewUser, Store};
    /// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
    /// let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
    /// let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
    /// let session = store.login("ann@example.com", "correct horse")?;
    /// let (thread, _) = session.create_thread(&[ann.id, bob.id])?;
    /// let sent = session.send(thread.id, "see you at 8")?;
    /// let edited = session.edit_message(sent.id, "see you at 9")?;
    /// assert_eq!((edited.id, edited.text.as_str()), (sent.id, "see you at 9"));
    /// assert!(edited.edited_at.is_some());
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidText`]; [`Error::MessageNotFound`] (also for a
    /// message this user cleared from their view); [`Error::NotParticipant`];
    /// [`Error::NotSender`]; [`Error::InvalidArgument`] past the window or
    /// for a withdrawn message; or a session error.
    pub fn edit_message(&self, id: MessageId, text: &str) -> Result<Message> {
        validate_text(text, self.store.config().max_text_bytes)?;
        let config = self.store.config();
        self.write(|tx, caller| record_edit(tx, id, caller.user_id, text, caller.now, config))
    }

    /// Withdraws one of this user's own messages for both participants
    /// (delete for everyone), within the edit window of its sending. The
    /// message stays in the history as a tombstone (id, sender, times,
    /// `deleted_at`, empty text) so paging stays exact and the other
    /// participant sees that something was withdrawn; its text is gone from
    /// the store (overwritten, not hidden). If the recipient had not read
    /// it, their unread counts drop at once. Withdrawing a withdrawn message
    /// returns its tombstone and changes nothing. Returns the tombstone.
    ///
    /// A later retry of a keyed send ([`Session::send_with_key`]) whose
    /// message was withdrawn returns the tombstone with `false`: a withdrawn
    /// message is never sent again.
    ///
    /// # Errors
    /// [`Error::MessageNotFound`] (also for a message this user cleared
    /// from their view); [`Error::NotParticipant`]; [`Error::NotSender`];
    /// [`Error::InvalidArgument`] past the window; or a session error.
    pub fn delete_message(&self, id: MessageId) -> Result<Message> {
        let config = self.store.config();
        self.write(|tx, caller| {
            record_withdrawal(tx, id, caller.user_id, caller.now, config)
                .map(|(message, _)| message)
        })
    }

    /// Clears the thread for this user only (clear for me): their view
    /// starts after its newest message. Earlier messages no longer appear in
    /// their history or previews, their unread count for them drops to zero,
    /// and the thread leaves their inbox until a new message arrives; it
    /// then comes back with only the new messages. The other participant
    /// sees nothing change (read receipts included). Returns the clear
    /// mark: the newest message id at the moment of clearing (0 for an
    /// empty thread). [`Session::delete_thread`] still deletes for both.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session
    /// error.
    pub fn clear_thread(&self, id: ThreadId) -> Result<MessageId> {
        let config = self.store.config();
        self.write(|tx, caller| {
            record_clear(tx, id, caller.user_id, caller.now, config).map(|cleared| cleared.through)
        })
    }
}
