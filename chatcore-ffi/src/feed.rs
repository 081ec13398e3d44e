//! The change feed (`chatcore::Session::changes`, `wait_for_changes`,
//! `Store::interrupt_waits`): thin translations.
//!
//! For hosts that wait on their own thread (Swift, Kotlin, a C event
//! loop): `chat_wait_changes` blocks the calling thread only, so run it on
//! a thread of its own; on a wake-up, read the entries with
//! `chat_changes_list` on any thread, then wait again from the new cursor.
//! `chat_interrupt_waits` (from any thread) ends every wait running at that
//! moment, e.g. when the host shuts down; join the waiting thread before
//! `chat_session_free` / `chat_close`.

use crate::boundary::{arg_out, arg_ref, call, free_box, free_raw_items, into_raw, into_raw_items};
use crate::{CHAT_FROM_OLDEST, chat_message, chat_session, chat_status, chat_store, guard};
use chatcore::{Change, ChangeCursor, ChangeKind, ChangePage};
use std::ptr;
use std::time::Duration;

/// What a feed entry says happened (`chat_change.kind`). Numbers never
/// change meaning; new kinds may be added, so treat an unknown one as
/// "reload" (like `CHAT_CHANGE_IMPORTED`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum chat_change_kind {
    /// A kind this build of the C ABI does not know.
    ChatChangeOther = 0,
    /// A message was sent in one of the user's threads (by them or to
    /// them); `message` is set (unless the thread was deleted since).
    ChatChangeMessageSent = 1,
    /// A message was marked read (a read receipt); `message` is set, with
    /// its `read_at`.
    ChatChangeMessageRead = 2,
    /// A thread was marked read by `actor_id` up to `message_id`.
    ChatChangeThreadRead = 3,
    /// A thread with the user was created by `actor_id`.
    ChatChangeThreadCreated = 4,
    /// A thread with the user was deleted by `actor_id`, with its messages.
    ChatChangeThreadDeleted = 5,
    /// The user's password was set and all of their sessions ended.
    ChatChangePasswordChanged = 6,
    /// Data was imported into the store: reload everything.
    ChatChangeImported = 7,
    /// A message was edited by its sender (`actor_id`); `message` is set,
    /// with its new text and `edited_at`.
    ChatChangeMessageEdited = 8,
    /// A message was withdrawn by its sender (delete for everyone);
    /// `message` is its tombstone (empty text, `deleted_at` set).
    ChatChangeMessageDeleted = 9,
    /// The user cleared the thread for themselves; their history starts
    /// after `message_id`.
    ChatChangeThreadCleared = 10,
}

impl chat_change_kind {
    fn from_core(kind: ChangeKind) -> chat_change_kind {
        match kind {
            ChangeKind::MessageSent => chat_change_kind::ChatChangeMessageSent,
            ChangeKind::MessageRead => chat_change_kind::ChatChangeMessageRead,
            ChangeKind::ThreadRead => chat_change_kind::ChatChangeThreadRead,
            ChangeKind::ThreadCreated => chat_change_kind::ChatChangeThreadCreated,
            ChangeKind::ThreadDeleted => chat_change_kind::ChatChangeThreadDeleted,
            ChangeKind::PasswordChanged => chat_change_kind::ChatChangePasswordChanged,
            ChangeKind::Imported => chat_change_kind::ChatChangeImported,
            ChangeKind::MessageEdited => chat_change_kind::ChatChangeMessageEdited,
            ChangeKind::MessageDeleted => chat_change_kind::ChatChangeMessageDeleted,
            ChangeKind::ThreadCleared => chat_change_kind::ChatChangeThreadCleared,
            _ => chat_change_kind::ChatChangeOther,
        }
    }
}

/// One entry of a user's change feed. Ids are 0 when the kind involves none.
#[repr(C)]
#[derive(Debug)]
pub struct chat_change {
    /// The entry's position: pass it as `after` to resume past it.
    pub cursor: i64,
    /// What happened.
    pub kind: chat_change_kind,
    /// When, in ms since the Unix epoch (for a read, the read time).
    pub at: i64,
    /// The thread involved, or 0.
    pub thread_id: i64,
    /// The message involved (for CHAT_CHANGE_THREAD_READ, the read mark), or 0.
    pub message_id: i64,
    /// Who did it (sender, reader, creator, deleter), or 0.
    pub actor_id: i64,
    /// For CHAT_CHANGE_MESSAGE_SENT and CHAT_CHANGE_MESSAGE_READ, the message
    /// as it is now; NULL otherwise, or when it is gone (its thread was
    /// deleted). Borrowed from the change: freed with its list.
    pub message: *const chat_message,
}

impl chat_change {
    fn from_core(change: &Change) -> chat_change {
        chat_change {
            cursor: change.cursor.raw(),
            kind: chat_change_kind::from_core(change.kind),
            at: change.at.timestamp_millis(),
            thread_id: change.thread_id.map_or(0, |id| id.get()),
            message_id: change.message_id.map_or(0, |id| id.get()),
            actor_id: change.actor_id.map_or(0, |id| id.get()),
            message: change.message.as_ref().map_or(ptr::null(), |message| {
                into_raw(chat_message::from_core(message))
            }),
        }
    }
}

impl Drop for chat_change {
    fn drop(&mut self) {
        free_box(self.message.cast_mut());
    }
}

/// A page of the feed, oldest first: `items[0..len]` (`items` is NULL when
/// `len` is 0). Pass `next_cursor` as `after` for what follows; `has_more`
/// says whether more is already there.
#[repr(C)]
#[derive(Debug)]
pub struct chat_change_list {
    /// The entries, oldest first. Borrowed from the list: freed with it.
    pub items: *const chat_change,
    /// How many.
    pub len: usize,
    /// Whether more entries follow (ask again with `next_cursor`).
    pub has_more: bool,
    /// Where the next page starts: the last item's cursor, or (no items)
    /// the cursor asked with, or the current one for CHAT_FROM_OLDEST.
    pub next_cursor: i64,
}

impl chat_change_list {
    fn from_core(page: &ChangePage) -> chat_change_list {
        let (items, len) = into_raw_items(page.items.iter().map(chat_change::from_core).collect());
        chat_change_list {
            items,
            len,
            has_more: page.has_more,
            next_cursor: page.next_cursor.raw(),
        }
    }
}

impl Drop for chat_change_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
    }
}

/// `after` from C: `CHAT_FROM_OLDEST` is "from the oldest entry kept".
fn cursor(after: i64) -> Option<ChangeCursor> {
    (after != CHAT_FROM_OLDEST).then_some(ChangeCursor::from_raw(after))
}

/// The user's feed entries after the cursor `after` (from
/// `chat_change_cursor` or a list's `next_cursor`; `CHAT_FROM_OLDEST` for
/// the oldest kept), oldest first, at most `limit` (1 to
/// `CHAT_MAX_PAGE_LIMIT`). Exact: every committed change once, in commit
/// order, also when other processes write. The caller owns `*out_list` and
/// frees it with `chat_change_list_free`. Thread-safe.
/// Errors: CHAT_ERR_CHANGES_EXPIRED (entries after `after` were pruned:
/// reload the screens and take a fresh `chat_change_cursor`),
/// CHAT_ERR_INVALID_ARGUMENT (a cursor this store never gave, a bad
/// `limit`), CHAT_ERR_SESSION_INVALID, CHAT_ERR_SESSION_EXPIRED,
/// CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_changes_list(
    session: *mut chat_session,
    after: i64,
    limit: u32,
    out_list: *mut *mut chat_change_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_list, "out_list")?;
        let page = session.session.changes(cursor(after), Some(limit))?;
        out.write(into_raw(chat_change_list::from_core(&page)));
        Ok(())
    })
}

/// The cursor of "now" (entries after it are those committed later), for a
/// host that just loaded its screens. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_change_cursor(
    session: *mut chat_session,
    out_cursor: *mut i64,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_cursor, "out_cursor")?;
        out.write(session.session.change_cursor()?.raw());
        Ok(())
    })
}

/// Blocks the calling thread until the user has a feed entry after `after`
/// (written by this process or any other on the same file), at most
/// `timeout_ms`; then sets `*out_available` to true, or to false at the
/// timeout or when `chat_interrupt_waits` ended the wait. Run it on a
/// thread of its own. Thread-safe.
/// Errors: as `chat_changes_list`.
#[unsafe(no_mangle)]
pub extern "C" fn chat_wait_changes(
    session: *mut chat_session,
    after: i64,
    timeout_ms: u32,
    out_available: *mut bool,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_available, "out_available")?;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        out.write(session.session.wait_for_changes(cursor(after), timeout)?);
        Ok(())
    })
}

/// Ends every `chat_wait_changes` running at this moment on this store
/// (and on sessions logged in through it), from any thread: they return
/// CHAT_OK with `*out_available` false. Later waits are not affected.
/// Errors: CHAT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn chat_interrupt_waits(store: *mut chat_store) -> chat_status {
    call(|| {
        arg_ref(store, "store")?.store.interrupt_waits();
        Ok(())
    })
}

/// Frees a page from `chat_changes_list`, with every entry and message in it.
/// NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_change_list_free(list: *mut chat_change_list) {
    guard((), || free_box(list))
}
