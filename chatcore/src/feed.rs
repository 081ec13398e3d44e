//! The change feed: a durable, per-user list of what changed, for hosts
//! that show an inbox and a conversation and must learn of a new message,
//! a read receipt or a deleted thread without asking again and again, also
//! when the change came from another process on the same file.
//!
//! # What is written
//!
//! Every operation that changes what a user sees appends, **in its own
//! transaction** (so a failed or rolled-back operation writes nothing), one
//! entry per affected user; the functions `on_*` below are the one place
//! that decides which:
//!
//! | operation | kind | to | ids |
//! |---|---|---|---|
//! | `send`, `send_with_key` (a new message only, not a retry) | [`ChangeKind::MessageSent`] | recipient and sender | thread, message, actor = sender |
//! | `mark_read` (only if it was unread) | [`ChangeKind::MessageRead`] | sender and reader | thread, message, actor = reader |
//! | `mark_thread_read` (only if it marked some) | [`ChangeKind::ThreadRead`] | sender and reader | thread, message = the read mark, actor = reader |
//! | `create_thread` (only if created) | [`ChangeKind::ThreadCreated`] | both participants | thread, actor = creator |
//! | `delete_thread` | [`ChangeKind::ThreadDeleted`] | both participants | thread, actor = deleter |
//! | `Store::set_password` (ends every session) | [`ChangeKind::PasswordChanged`] | that user | none |
//! | `import_django`, `bulk_load` | [`ChangeKind::Imported`] | every user | none |
//!
//! The importer writes no per-message entries: one `Imported` entry per
//! user says "reload everything", and cursors taken after it are past the
//! import. A message entry stores the message's id and joins the message
//! at read time ([`Change::message`], as it is when read: with its
//! `read_at`), rather than a copy of its text: a send writes two small
//! rows, not two copies of the text. If the thread is deleted later, its
//! older entries stay (they did commit) with `message: None`, followed by
//! the `ThreadDeleted` entry.
//!
//! # Exact, in commit order
//!
//! An entry's id is its cursor. On SQLite ids come from AUTOINCREMENT, and
//! SQLite has one writer at a time: a transaction's ids are given while it
//! holds the write lock, so every entry committed later has a higher id
//! than every entry committed earlier, and a rolled-back transaction's ids
//! are never seen. A reader whose snapshot saw entries up to id N (its
//! cursor) therefore can never miss an entry committed later with an id
//! at or below N: there is none. [`Session::changes`](crate::Session::changes) reads `id > N` in
//! one snapshot, so there are no gaps, no duplicates, and the order is the
//! commit order. (A PostgreSQL backend cannot rely on a sequence, whose
//! values are taken before commit and may commit out of order: it will
//! need a per-user counter incremented under the user's row lock, so that
//! one user's entries commit in the order of their numbers.)
//!
//! # Retention
//!
//! Entries older than [`Config::change_retention`](crate::Config::change_retention)
//! (default 30 days) or beyond
//! [`Config::max_changes_per_user`](crate::Config::max_changes_per_user)
//! (default 10,000) are pruned by the writes that append to that user's
//! feed: every [`PRUNE_STEP`]th entry of a user (its `seq` a multiple of
//! it), the append also looks at the user's oldest entry and prunes at most
//! [`PRUNE_STEP`] entries, so a send never does more than a few rows of
//! extra work, and most sends none. Between two checks a user may hold up
//! to `PRUNE_STEP - 1` entries beyond the count bound, and entries a little
//! past the age. Only the oldest entries are ever pruned (a
//! prefix), and the user's row keeps the highest id pruned: a cursor below
//! it gets [`Error::ChangesExpired`] (exactly when entries after it are
//! gone), and the host reloads its screens and takes a fresh cursor. A
//! user nobody writes to keeps their old entries until the next write.
//!
//! # Waiting
//!
//! [`Session::wait_for_changes`](crate::Session::wait_for_changes) sleeps until the user has an entry after
//! the cursor: woken by this process's commits at once (`crate::waits`)
//! and by other processes' commits through the backend's watcher (inotify
//! on the database folder on Linux, polling elsewhere; `sqlite::watch`).
//! A waiter also looks again every
//! [`Config::wait_recheck`](crate::Config::wait_recheck) (1 s), a bound on any wake-up the
//! watcher could miss. [`Store::interrupt_waits`](crate::Store::interrupt_waits) ends the waits running
//! at that moment (a host shutting down). Reading and waiting are in
//! `changes`.

use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Message;
use crate::storage::{ChangeRow, NewChange, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How often (every how many entries of a user) an append checks the
/// user's retention, and the most entries one check prunes.
pub const PRUNE_STEP: u32 = 16;

/// A position in a user's feed: [`Session::changes`](crate::Session::changes) returns the entries
/// after it. Opaque to hosts: store it as its [`raw`](ChangeCursor::raw)
/// integer and give it back with [`from_raw`](ChangeCursor::from_raw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ChangeCursor(pub(crate) i64);

impl ChangeCursor {
    /// The cursor as an integer, to store.
    pub fn raw(self) -> i64 {
        self.0
    }

    /// A cursor stored earlier as [`raw`](ChangeCursor::raw). Checked when
    /// used: a negative value, or one above any position the store ever
    /// gave, is [`Error::InvalidArgument`].
    pub fn from_raw(raw: i64) -> ChangeCursor {
        ChangeCursor(raw)
    }
}

/// What a feed entry says happened. New kinds may be added (hosts ignore
/// kinds they do not know); numbers never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A message was sent in one of the user's threads (by them or to them).
    MessageSent,
    /// A message was marked read (the sender's read receipt).
    MessageRead,
    /// The reader marked a thread read up to `message_id`.
    ThreadRead,
    /// A thread with the user was created.
    ThreadCreated,
    /// A thread with the user was deleted, with its messages.
    ThreadDeleted,
    /// The user's password was set and every session of theirs ended.
    PasswordChanged,
    /// Data was imported into the store: reload everything.
    Imported,
    /// A message was edited by its sender (to both participants; carries
    /// the message with its new text and `edited_at`).
    MessageEdited,
    /// A message was withdrawn by its sender, delete for everyone (to both
    /// participants; carries its tombstone).
    MessageDeleted,
    /// The user cleared a thread for themselves (to that user only;
    /// `message_id` is the clear mark: their history starts after it).
    ThreadCleared,
}

impl ChangeKind {
    /// The kind's stable number (as stored and in the C ABI's `chat_change_kind`).
    pub fn code(self) -> i64 {
        match self {
            ChangeKind::MessageSent => 1,
            ChangeKind::MessageRead => 2,
            ChangeKind::ThreadRead => 3,
            ChangeKind::ThreadCreated => 4,
            ChangeKind::ThreadDeleted => 5,
            ChangeKind::PasswordChanged => 6,
            ChangeKind::Imported => 7,
            ChangeKind::MessageEdited => 8,
            ChangeKind::MessageDeleted => 9,
            ChangeKind::ThreadCleared => 10,
        }
    }

    /// The kind with this number.
    pub fn from_code(code: i64) -> Option<ChangeKind> {
        Some(match code {
            1 => ChangeKind::MessageSent,
            2 => ChangeKind::MessageRead,
            3 => ChangeKind::ThreadRead,
            4 => ChangeKind::ThreadCreated,
            5 => ChangeKind::ThreadDeleted,
            6 => ChangeKind::PasswordChanged,
            7 => ChangeKind::Imported,
            8 => ChangeKind::MessageEdited,
            9 => ChangeKind::MessageDeleted,
            10 => ChangeKind::ThreadCleared,
            _ => return None,
        })
    }

    /// Whether entries of this kind carry their message.
    pub(crate) fn carries_message(self) -> bool {
        matches!(
            self,
            ChangeKind::MessageSent
                | ChangeKind::MessageRead
                | ChangeKind::MessageEdited
                | ChangeKind::MessageDeleted
        )
    }
}

/// One entry of a user's change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The entry's position: a host that handled it resumes after it.
    pub cursor: ChangeCursor,
    /// What happened.
    pub kind: ChangeKind,
    /// When (for a read, the read time).
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub at: DateTime<Utc>,
    /// The thread involved, if any.
    pub thread_id: Option<ThreadId>,
    /// The message involved; for [`ChangeKind::ThreadRead`], the read mark
    /// (every message of the other participant up to it is read).
    pub message_id: Option<MessageId>,
    /// Who did it: the sender, the reader, the creator or the deleter.
    pub actor_id: Option<UserId>,
    /// For [`ChangeKind::MessageSent`] and [`ChangeKind::MessageRead`], the
    /// message as it is now; `None` if it is gone (its thread was deleted).
    pub message: Option<Message>,
}

/// A page of a user's feed, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangePage {
    /// The entries.
    pub items: Vec<Change>,
    /// Where the next page starts: the last item's cursor, or the cursor
    /// asked with (the current one, for `None`) if there were none.
    pub next_cursor: ChangeCursor,
    /// Whether more entries follow (ask again with `next_cursor`).
    pub has_more: bool,
}

// ---------------------------------------------------------------------------
// What each operation writes

/// The ids an entry names.
#[derive(Debug, Clone, Copy, Default)]
struct Ids {
    thread_id: Option<ThreadId>,
    message_id: Option<MessageId>,
    actor_id: Option<UserId>,
}

impl Ids {
    /// `message` (with its thread), changed by `actor`.
    fn of(message: &Message, actor: UserId) -> Ids {
        Ids {
            thread_id: Some(message.thread_id),
            message_id: Some(message.id),
            actor_id: Some(actor),
        }
    }
}

/// A new message, before it is stored: to the recipient and to the
/// sender's other sessions. The entries name no message yet: the send's
/// write (`FusedStorage::apply_send`) gives them the new message's id and
/// returns their `seq`s for [`appended`].
pub(crate) fn send_entries(
    thread: ThreadId,
    sender: UserId,
    recipient: UserId,
    at: DateTime<Utc>,
) -> [NewChange; 2] {
    let ids = Ids {
        thread_id: Some(thread),
        message_id: None,
        actor_id: Some(sender),
    };
    [recipient, sender].map(|user| entry(ChangeKind::MessageSent, user, ids, at))
}

/// A new pair's thread, before it is stored: to both participants (lower
/// id first), as [`on_thread`] appends them. The entries name no thread
/// yet: the write (`FusedStorage::apply_guarded_new_thread`) gives them
/// its id and returns their `seq`s for [`appended`].
pub(crate) fn new_thread_entries(
    participants: [UserId; 2],
    actor: UserId,
    at: DateTime<Utc>,
) -> [NewChange; 2] {
    let ids = Ids {
        thread_id: None,
        message_id: None,
        actor_id: Some(actor),
    };
    participants.map(|user| entry(ChangeKind::ThreadCreated, user, ids, at))
}

/// One message read: the sender's receipt, and the reader's other
/// sessions. Appended with the read's counters (`FusedStorage::apply_counts`),
/// then [`appended`].
pub(crate) fn mark_read_entries(
    message: &Message,
    reader: UserId,
    read_at: DateTime<Utc>,
) -> [NewChange; 2] {
    let ids = Ids::of(message, reader);
    [message.sender_id, reader].map(|user| entry(ChangeKind::MessageRead, user, ids, read_at))
}

/// A thread read up to `mark`: to the sender and the reader. Appended as
/// [`mark_read_entries`] are.
pub(crate) fn thread_read_entries(
    thread: ThreadId,
    mark: MessageId,
    (reader, sender): (UserId, UserId),
    read_at: DateTime<Utc>,
) -> [NewChange; 2] {
    let ids = Ids {
        thread_id: Some(thread),
        message_id: Some(mark),
        actor_id: Some(reader),
    };
    [sender, reader].map(|user| entry(ChangeKind::ThreadRead, user, ids, read_at))
}

/// A thread created by `actor` (or deleted, with `kind` ThreadDeleted):
/// to both participants.
pub(crate) fn on_thread(
    tx: &mut (impl Tx + ?Sized),
    kind: ChangeKind,
    thread: &crate::models::Thread,
    actor: UserId,
    at: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    let ids = Ids {
        thread_id: Some(thread.id),
        actor_id: Some(actor),
        ..Ids::default()
    };
    // A thread's creation or deletion ends with its feed entries.
    append(tx, (kind, true), &thread.participants, ids, at, config)
}

/// A message sent, edited or withdrawn (`kind` MessageSent, MessageEdited
/// or MessageDeleted) by its sender: to both participants.
pub(crate) fn on_message_changed(
    tx: &mut (impl Tx + ?Sized),
    kind: ChangeKind,
    message: &Message,
    recipient: UserId,
    at: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    let ids = Ids::of(message, message.sender_id);
    append(
        tx,
        (kind, false),
        &[recipient, message.sender_id],
        ids,
        at,
        config,
    )
}

/// A thread cleared for one user up to `through`: to that user only.
pub(crate) fn on_clear(
    tx: &mut (impl Tx + ?Sized),
    thread: ThreadId,
    through: MessageId,
    user: UserId,
    at: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    let ids = Ids {
        thread_id: Some(thread),
        message_id: Some(through),
        actor_id: Some(user),
    };
    append(
        tx,
        (ChangeKind::ThreadCleared, false),
        &[user],
        ids,
        at,
        config,
    )
}

/// A password set (every session ended): to that user.
pub(crate) fn on_password_set(
    tx: &mut (impl Tx + ?Sized),
    user: UserId,
    at: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    append(
        tx,
        (ChangeKind::PasswordChanged, false),
        &[user],
        Ids::default(),
        at,
        config,
    )
}

/// An import (or bulk load): one entry to every user, none per message.
pub(crate) fn on_import(tx: &mut (impl Tx + ?Sized), at: DateTime<Utc>) -> Result<()> {
    tx.append_change_for_every_user(ChangeKind::Imported.code(), at)?;
    Ok(())
}

/// The one append: an entry per user in `to`, each followed by a bounded
/// pruning step of that user's feed. `last`: the entries are the
/// operation's last write ([`SendWrite::last`](crate::storage::SendWrite)).
fn append(
    tx: &mut (impl Tx + ?Sized),
    (kind, last): (ChangeKind, bool),
    to: &[UserId],
    ids: Ids,
    at: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    let entries: Vec<NewChange> = to.iter().map(|&user| entry(kind, user, ids, at)).collect();
    let seqs = tx.append_changes(&entries, last)?;
    appended(tx, &entries, &seqs, config)
}

/// The entry of `kind` to `user`'s feed.
fn entry(kind: ChangeKind, user: UserId, ids: Ids, at: DateTime<Utc>) -> NewChange {
    NewChange {
        user,
        kind: kind.code(),
        at,
        thread_id: ids.thread_id,
        message_id: ids.message_id,
        other_id: ids.actor_id,
    }
}

/// After `entries` were appended with these `seqs`: the pruning step of
/// each user's feed where it is due (every [`PRUNE_STEP`]th append).
pub(crate) fn appended(
    tx: &mut (impl Tx + ?Sized),
    entries: &[NewChange],
    seqs: &[i64],
    config: &crate::Config,
) -> Result<()> {
    for (new, &seq) in entries.iter().zip(seqs) {
        if seq % i64::from(PRUNE_STEP) == 0 {
            prune_step(tx, new.user, seq, new.at, config)?;
        }
    }
    Ok(())
}

/// The retention rule, checked every [`PRUNE_STEP`]th append of a user:
/// after an append left the user's newest entry at `newest_seq`, prunes
/// from the oldest end, at most [`PRUNE_STEP`] entries, those older than
/// the retention and those beyond the count bound (down to the bound). The
/// newest entry is never pruned.
fn prune_step(
    tx: &mut (impl Tx + ?Sized),
    user: UserId,
    newest_seq: i64,
    now: DateTime<Utc>,
    config: &crate::Config,
) -> Result<()> {
    let Some((_, oldest_seq, oldest_at)) = tx.oldest_change(user)? else {
        return Ok(());
    };
    let cutoff = now - config.change_retention;
    let max = i64::try_from(config.max_changes_per_user).unwrap_or(i64::MAX);
    let count = newest_seq - oldest_seq + 1;
    if count <= max && oldest_at >= cutoff {
        return Ok(());
    }
    let mut through = None;
    for (id, seq, at) in tx.oldest_changes(user, PRUNE_STEP)? {
        // The entries from this one to the newest.
        let left = newest_seq - seq + 1;
        let over_count = left > max;
        if seq == newest_seq || !(over_count || at < cutoff) {
            break;
        }
        through = Some(id);
    }
    if let Some(through) = through {
        tx.prune_changes(user, through)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading

/// The user's entries after `after` (all kept ones for `None`), checked:
/// a negative cursor or one the store never gave is refused, one below the
/// user's pruned entries has expired.
pub(crate) fn read_page(
    tx: &mut (impl Tx + ?Sized),
    user: UserId,
    after: Option<ChangeCursor>,
    limit: u32,
) -> Result<(Vec<ChangeRow>, i64)> {
    let after = match after {
        None => tx.changes_pruned_through(user)?,
        Some(ChangeCursor(raw)) => {
            require_known(tx, raw)?;
            if raw < tx.changes_pruned_through(user)? {
                return Err(Error::ChangesExpired);
            }
            raw
        }
    };
    Ok((tx.changes_after(user, after, limit)?, after))
}

/// A cursor is 0 or more and no higher than any position the store gave.
fn require_known(tx: &mut (impl Tx + ?Sized), raw: i64) -> Result<()> {
    if raw < 0 {
        return Err(Error::InvalidArgument(format!(
            "a change cursor is 0 or more, not {raw}"
        )));
    }
    let highest = tx.highest_change_id()?;
    if raw > highest {
        return Err(Error::InvalidArgument(format!(
            "change cursor {raw} was not given by this store (its newest position is {highest})"
        )));
    }
    Ok(())
}

pub(crate) fn change_from_row(row: ChangeRow) -> Result<Change> {
    let kind = ChangeKind::from_code(row.kind).ok_or_else(|| {
        Error::storage(format!(
            "change {} has kind {}, unknown to this version of chatcore",
            row.id, row.kind
        ))
    })?;
    Ok(Change {
        cursor: ChangeCursor(row.id),
        kind,
        at: row.at,
        thread_id: row.thread_id,
        message_id: row.message_id,
        actor_id: row.other_id,
        message: row.message.filter(|_| kind.carries_message()),
    })
}
