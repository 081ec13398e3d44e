//! Messages: send, history pages, read marks and unread counts.
//!
//! Unread counts are counters (`members.unread` per thread, `users.unread_total`
//! per user) changed in the same transaction as every send, read mark and
//! delete, so reading them is O(1); [`Store::verify_unread`](crate::Store::verify_unread) recomputes them
//! from the messages.

use crate::accounts::Session;
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::storage::{CountsWrite, NewMessage, SendWrite, Tx};
use crate::threads::{self, existing, require_participant};
use chrono::{DateTime, Utc};

pub use crate::history::{MessagePage, MessageQuery};
pub use crate::models::Message;
pub(crate) use crate::unread_check::check_unread;
pub use crate::unread_check::{UnreadMismatch, UnreadReport};

mod remembered;
use remembered::activity_after;

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

/// The longest client key, in bytes.
pub const MAX_CLIENT_KEY_BYTES: usize = 64;

/// A client key is 1 to [`MAX_CLIENT_KEY_BYTES`] bytes of UTF-8 with no
/// control characters and no whitespace at either end (a UUID, a counter, a
/// queue's message id); it is compared byte for byte.
pub(crate) fn validate_client_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument(
            "the client key is empty; give 1 to 64 bytes (e.g. a UUID)".to_string(),
        ));
    }
    if key.len() > MAX_CLIENT_KEY_BYTES {
        return Err(Error::InvalidArgument(format!(
            "the client key has {} bytes; the limit is {MAX_CLIENT_KEY_BYTES}",
            key.len()
        )));
    }
    if let Some(bad) = key.chars().find(|c| c.is_control()) {
        return Err(Error::InvalidArgument(format!(
            "the client key contains the control character U+{:04X}",
            bad as u32
        )));
    }
    if key.trim() != key {
        return Err(Error::InvalidArgument(
            "the client key starts or ends with whitespace".to_string(),
        ));
    }
    Ok(())
}

/// A retried send: the message stored earlier under the same sender and
/// key is the answer only if the retry asks for the same thing (same thread,
/// same text); anything else under a used key is a mistake of the host.
/// Once the first message was edited or withdrawn its sent text is gone, so
/// only the thread is compared: a late retry gets the message as it is now
/// (a withdrawn message stays withdrawn, never sent again).
fn require_same_send(first: &Message, thread_id: ThreadId, text: &str) -> Result<()> {
    if first.thread_id != thread_id {
        return Err(Error::InvalidArgument(format!(
            "the client key was already used for message {} in thread {}, not thread {}; \
             use a new key for a new message",
            first.id.0, first.thread_id.0, thread_id.0
        )));
    }
    let changed_since = first.edited_at.is_some() || first.deleted_at.is_some();
    if !changed_since && first.text != text {
        return Err(Error::InvalidArgument(format!(
            "the client key was already used for message {} with a different text; \
             use a new key for a new message",
            first.id.0
        )));
    }
    Ok(())
}

/// The one idempotent send: the message this sender stored under `key`
/// (checked with [`require_same_send`]) and `false`, or a new one and
/// `true`. Within the write transaction, so a retry that raced the first
/// send from another process (and met the unique key at the insert)
/// resolves to the first message, not an error.
pub(crate) fn record_keyed_send(
    tx: &mut (impl Tx + ?Sized),
    thread: &threads::Thread,
    sender: UserId,
    text: &str,
    key: &str,
    now: DateTime<Utc>,
    config: &crate::Config,
) -> Result<(Message, bool)> {
    // Only a participant learns anything about a key.
    require_participant(thread, sender)?;
    if let Some(first) = tx.message_by_client_key(sender, key)? {
        require_same_send(&first, thread.id, text)?;
        return Ok((first, false));
    }
    match record_send(tx, thread, sender, text, Some(key), now, config) {
        Ok(message) => Ok((message, true)),
        Err(err) if crate::storage::is_conflict(&err) => {
            let first = tx.message_by_client_key(sender, key)?.ok_or(err)?;
            require_same_send(&first, thread.id, text)?;
            Ok((first, false))
        }
        Err(err) => Err(err),
    }
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

/// The one send: inserts the message and moves every counter a send moves
/// (the thread's activity and newest message, both members' activity, the
/// recipient's unread counts) and appends the feed's entries. The sender
/// must be a participant and the text valid (checked by the caller with
/// [`require_participant`] and [`validate_text`]). Activity never moves
/// back in time.
pub(crate) fn record_send(
    tx: &mut (impl Tx + ?Sized),
    thread: &threads::Thread,
    sender: UserId,
    text: &str,
    client_key: Option<&str>,
    now: DateTime<Utc>,
    config: &crate::Config,
) -> Result<Message> {
    let decided = (thread, sender, text, client_key, now);
    write_send(tx, decided, None, config)?.ok_or_else(|| {
        Error::Internal("an unguarded send reported its guard as failed".to_string())
    })
}

/// [`record_send`] with an optional guard: with `Some`, the thread and the
/// session it was decided from were remembered rather than read
/// ([`remembered`]), and the write happens only if they still hold
/// (`None`, nothing written, if not).
fn write_send(
    tx: &mut (impl Tx + ?Sized),
    (thread, sender, text, client_key, now): (
        &threads::Thread,
        UserId,
        &str,
        Option<&str>,
        DateTime<Utc>,
    ),
    guard: Option<&crate::storage::SendGuard<'_>>,
    config: &crate::Config,
) -> Result<Option<Message>> {
    let recipient = require_participant(thread, sender)?;
    let activity = activity_after(thread, now);
    let feed = crate::feed::send_entries(thread.id, sender, recipient, now);
    let send = SendWrite {
        message: NewMessage {
            id: None,
            thread_id: thread.id,
            sender_id: sender,
            text,
            created_at: now,
            read_at: None,
            client_key,
        },
        activity,
        // The recipient's counters gain the message; the sender's do not.
        members: [(sender, 0), (recipient, 1)],
        total: (recipient, 1),
        feed: &feed,
        // A keyed send may still resolve a conflict after the write
        // (`record_keyed_send`); a plain send's write is its last.
        last: client_key.is_none(),
    };
    let written = match guard {
        None => Some(tx.apply_send(&send)?),
        Some(guard) => tx.apply_guarded_send(guard, &send)?,
    };
    let Some((id, seqs)) = written else {
        return Ok(None);
    };
    crate::feed::appended(tx, &feed, &seqs, config)?;
    Ok(Some(Message {
        id,
        thread_id: thread.id,
        sender_id: sender,
        text: text.to_string(),
        created_at: now,
        read_at: None,
        edited_at: None,
        deleted_at: None,
    }))
}

/// Whether withdrawing `message` takes it off its recipient's unread
/// counters: it counts as unread only while it has no read time, is not
/// already withdrawn, and lies above the recipient's clear mark
/// (`recipient_floor`, see `threads::hidden_from`). The same three
/// conditions are the recount of
/// [`check_unread_batch`](crate::unread_check::check_unread_batch).
pub(crate) fn withdrawn_unread(message: &Message, recipient_floor: Option<MessageId>) -> bool {
    message.read_at.is_none()
        && message.deleted_at.is_none()
        && !threads::hidden_from(message, recipient_floor)
}

/// The unread accounting of a withdrawal: if `message` counted as unread
/// for `recipient` ([`withdrawn_unread`]), it stops counting now, in the
/// member's counter and the user's total.
pub(crate) fn take_withdrawn_from_unread(
    tx: &mut (impl crate::storage::Tx + ?Sized),
    message: &Message,
    recipient: UserId,
) -> Result<()> {
    let floor = tx.cleared_through(recipient, message.thread_id)?;
    if withdrawn_unread(message, floor) {
        take_from_unread(tx, recipient, message.thread_id, 1)?;
    }
    Ok(())
}

/// Takes `count` read messages off a reader's counters in one thread.
pub(crate) fn take_from_unread(
    tx: &mut (impl Tx + ?Sized),
    reader: UserId,
    thread: ThreadId,
    count: i64,
) -> Result<()> {
    let write = taken_from_unread((reader, thread, count), &[], false);
    tx.apply_counts(&write)?;
    Ok(())
}

/// [`take_from_unread`] for a read, with the read's feed entries appended
/// in the same write (`feed::mark_read_entries`, `feed::thread_read_entries`).
fn take_read_from_unread(
    tx: &mut (impl Tx + ?Sized),
    (reader, thread, count): (UserId, ThreadId, i64),
    feed: &[crate::storage::NewChange],
    config: &crate::Config,
) -> Result<()> {
    // A read's counters are its last write.
    let seqs = tx.apply_counts(&taken_from_unread((reader, thread, count), feed, true))?;
    crate::feed::appended(tx, feed, &seqs, config)
}

/// The one accounting of messages read: `count` off the member's counter
/// and off the user's total (`last`: see [`CountsWrite::last`]).
fn taken_from_unread(
    (reader, thread, count): (UserId, ThreadId, i64),
    feed: &[crate::storage::NewChange],
    last: bool,
) -> CountsWrite<'_> {
    CountsWrite {
        member: (reader, thread, -count),
        total: (reader, -count),
        feed,
        last,
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
        let config = self.store.config();
        validate_text(text, config.max_text_bytes)?;
        let now = self.store.now();
        if let Some(message) = self.send_as_remembered(thread_id, text, now)? {
            return Ok(message);
        }
        let sent = self.store.write(|tx| {
            let (session, thread, _) = self.thread_writer_row(tx, thread_id, now)?;
            let message = record_send(tx, &thread, session.user_id, text, None, now, config)?;
            Ok((message, session, thread))
        });
        let rows = sent
            .as_ref()
            .ok()
            .map(|(_, session, thread)| (*session, thread));
        self.remember_send(rows, now);
        sent.map(|(message, ..)| message)
    }

    /// Sends `text` to the thread at most once per client `key`: the first
    /// call stores the message and returns it with `true`; every later call
    /// by the same user with the same key (a retry after a timeout, a crash
    /// after the commit, another process) returns that first message (same
    /// id, same time) with `false` and stores nothing. Other users' keys are
    /// their own. A key is 1 to 64 bytes with no control characters and no
    /// whitespace at either end; it is kept as long as its message is (a
    /// later change feed may bound this).
    ///
    /// ```
    /// use chatcore::{Config, NewUser, Store};
    /// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
    /// let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
    /// let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
    /// let session = store.login("ann@example.com", "correct horse")?;
    /// let (thread, _) = session.create_thread(&[ann.id, bob.id])?;
    /// let key = "6f1c2a52-0d4e-4f7b-9a53-3b1e8f2d9c10";
    /// let (first, created) = session.send_with_key(thread.id, "hi Bob", key)?;
    /// assert!(created);
    /// let (again, created) = session.send_with_key(thread.id, "hi Bob", key)?;
    /// assert!(!created);
    /// assert_eq!(again, first);
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad key, or a used key with another
    /// text or thread; [`Error::InvalidText`], [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`], or a session error.
    pub fn send_with_key(
        &self,
        thread_id: ThreadId,
        text: &str,
        key: &str,
    ) -> Result<(Message, bool)> {
        let config = self.store.config();
        validate_text(text, config.max_text_bytes)?;
        validate_client_key(key)?;
        let now = self.store.now();
        self.store.write(|tx| {
            let (caller, thread, _) = self.thread_writer(tx, thread_id, now)?;
            record_keyed_send(tx, &thread, caller.user_id, text, key, now, config)
        })
    }

    /// Marks one message read. Only its recipient may; marking again keeps
    /// the first `read_at`. Returns the message as stored. A withdrawn
    /// message is returned unchanged (it is never unread); a message the
    /// caller cleared from their view is [`Error::MessageNotFound`].
    ///
    /// # Errors
    /// [`Error::MessageNotFound`], [`Error::NotParticipant`],
    /// [`Error::NotRecipient`], or a session error.
    pub fn mark_read(&self, message_id: MessageId) -> Result<Message> {
        let config = self.store.config();
        let now = self.store.now();
        self.store.write(|tx| {
            // One fused read: the session, the message, and (where the
            // backend fetches them) its thread, locked, and the caller's marks.
            let context = tx.message_context(self.token_hash(), message_id)?;
            let caller = self.writer_of(tx, context.session, now)?;
            let mut message = context
                .message
                .ok_or(Error::MessageNotFound(message_id.0))?;
            let thread = match context.thread {
                Some(thread) => threads::found(thread, message.thread_id)?,
                None => existing(tx, message.thread_id)?,
            };
            require_participant(&thread, caller.user_id)?;
            match context.marks {
                Some(marks) => threads::require_visible_above(&message, marks.clear_mark)?,
                None => threads::require_visible(tx, &message, caller.user_id)?,
            }
            require_recipient(&message, &thread, caller.user_id)?;
            // A withdrawn message is never unread (`withdrawn_unread`), so
            // marking it changes nothing.
            if message.read_at.is_none() && message.deleted_at.is_none() {
                // The read time, and only if this call set it, the counters
                // and feed entries: the read's last write.
                let feed = crate::feed::mark_read_entries(&message, caller.user_id, caller.now);
                let counts = (caller.user_id, message.thread_id, 1);
                let write = taken_from_unread(counts, &feed, true);
                if let Some(seqs) = tx.apply_read(message_id, caller.now, &write)? {
                    crate::feed::appended(tx, &feed, &seqs, config)?;
                    message.read_at = Some(caller.now);
                }
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
        let up_to = crate::page::require_id("up_to", up_to)?;
        let config = self.store.config();
        let now = self.store.now();
        self.store.write(|tx| {
            let (caller, thread, marks) = self.thread_writer(tx, thread_id, now)?;
            let sender = require_participant(&thread, caller.user_id)?;
            let last = match marks {
                Some(marks) => marks.last_message,
                None => tx.last_message_id(thread_id)?,
            };
            let Some(last) = last else {
                return Ok(0);
            };
            // Never past the newest message: later messages get higher ids
            // and must stay unread.
            let bound = up_to.map_or(last, |up_to| up_to.min(last));
            // Every message at or below the read mark is already read, so
            // only the backlog above it is touched.
            let last_read = match marks {
                Some(marks) => marks.read_mark,
                None => tx.last_read_id(caller.user_id, thread_id)?,
            };
            if bound <= last_read {
                return Ok(0);
            }
            let pair = (caller.user_id, sender);
            let marked =
                tx.mark_backlog_read(thread_id, (sender, pair.0), last_read, bound, caller.now)?;
            if marked > 0 {
                let feed = crate::feed::thread_read_entries(thread_id, bound, pair, caller.now);
                let counts = (caller.user_id, thread_id, marked as i64);
                take_read_from_unread(tx, counts, &feed, config)?;
            }
            Ok(marked)
        })
    }

    /// How many messages sent to this user, in all their threads, are unread.
    /// Never counts the user's own messages. O(1): reads one counter.
    ///
    /// # Errors
    /// A session error.
    pub fn unread_count(&self) -> Result<u64> {
        // The session and the counter in one read: this is the call apps
        // make most often (BENCHMARKS.md). The session rules are the same
        // as every other call's.
        let now = self.store.now();
        self.store.read_one(|tx| {
            let (expires_at, total) = tx
                .unread_total_by_session(self.token_hash())?
                .ok_or(Error::SessionInvalid)?;
            crate::accounts::require_unexpired(expires_at, now)?;
            Ok(total.max(0) as u64)
        })
    }
}
