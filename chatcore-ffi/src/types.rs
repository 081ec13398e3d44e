//! The plain `#[repr(C)]` result structs, their conversion from the core's
//! models, and how they are freed. Each owns its strings and sub-structs;
//! dropping it (through its `chat_*_free`) frees them.

use crate::boundary::{
    c_string, free_box, free_c_string, free_raw_items, into_raw, into_raw_items,
};
use chatcore::{
    ImportReport, Message, MessagePage, SessionInfo, ThreadPage, ThreadSummary, UnreadMismatch,
    UnreadReport, User,
};
use std::ffi::c_char;
use std::ptr;

/// A count from the core's `i64` to C's `uint64_t`. Counts are never
/// negative (the schema's CHECK constraints); 0 would stand in for one.
fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Milliseconds since the Unix epoch, the C form of every time.
fn millis(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_millis()
}

/// A user. Strings are UTF-8, NUL-terminated, owned by the struct.
#[repr(C)]
#[derive(Debug)]
pub struct chat_user {
    /// The user's id.
    pub id: i64,
    /// The email address as registered (trimmed).
    pub email: *const c_char,
    /// The username.
    pub username: *const c_char,
    /// The first name; may be empty, never NULL.
    pub first_name: *const c_char,
    /// The last name; may be empty, never NULL.
    pub last_name: *const c_char,
    /// When the user registered, in ms since the Unix epoch (UTC).
    pub created_at: i64,
}

impl chat_user {
    pub(crate) fn from_core(user: &User) -> chat_user {
        chat_user {
            id: user.id.get(),
            email: c_string(&user.email),
            username: c_string(&user.username),
            first_name: c_string(&user.first_name),
            last_name: c_string(&user.last_name),
            created_at: millis(user.created_at),
        }
    }
}

impl Drop for chat_user {
    fn drop(&mut self) {
        for text in [self.email, self.username, self.first_name, self.last_name] {
            free_c_string(text);
        }
    }
}

/// A list of users: `items[0..len]`; `items` is NULL when `len` is 0. Not
/// paged (so no `has_more` or cursor): `chat_users_search` returns the first
/// `limit` matches; a longer prefix narrows them.
#[repr(C)]
#[derive(Debug)]
pub struct chat_user_list {
    /// The users. Borrowed from the list: freed with it.
    pub items: *const chat_user,
    /// How many.
    pub len: usize,
}

impl chat_user_list {
    pub(crate) fn from_core(users: &[User]) -> chat_user_list {
        let (items, len) = into_raw_items(users.iter().map(chat_user::from_core).collect());
        chat_user_list { items, len }
    }
}

impl Drop for chat_user_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
    }
}

/// A message. Its recipient is the thread's other participant.
#[repr(C)]
#[derive(Debug)]
pub struct chat_message {
    /// The message's id; grows monotonically across the store.
    pub id: i64,
    /// The thread it belongs to.
    pub thread_id: i64,
    /// Who sent it.
    pub sender_id: i64,
    /// The text, UTF-8, NUL-terminated (texts never contain control
    /// characters other than tab, CR and LF).
    pub text: *const c_char,
    /// When it was sent, in ms since the Unix epoch.
    pub created_at: i64,
    /// When the recipient read it, in ms since the Unix epoch; 0 = unread.
    pub read_at: i64,
    /// When the sender last edited it (`chat_message_edit`), in ms since the
    /// Unix epoch; 0 = never edited. (Appended in ABI 3.)
    pub edited_at: i64,
    /// When the sender withdrew it (`chat_message_delete`), in ms since the
    /// Unix epoch; 0 = not withdrawn. A withdrawn message's `text` is "".
    /// (Appended in ABI 3.)
    pub deleted_at: i64,
}

impl chat_message {
    pub(crate) fn from_core(message: &Message) -> chat_message {
        chat_message {
            id: message.id.get(),
            thread_id: message.thread_id.get(),
            sender_id: message.sender_id.get(),
            text: c_string(&message.text),
            created_at: millis(message.created_at),
            read_at: message.read_at.map_or(0, millis),
            edited_at: message.edited_at.map_or(0, millis),
            deleted_at: message.deleted_at.map_or(0, millis),
        }
    }
}

impl Drop for chat_message {
    fn drop(&mut self) {
        free_c_string(self.text);
    }
}

/// A page of a thread's history, oldest first: `items[0..len]` (`items` is
/// NULL when `len` is 0). `has_more` tells whether more messages lie beyond
/// the page in the direction paged: to go on backwards pass `items[0].id` as
/// `before`; forwards, `items[len - 1].id` as `after`. (No cursor: message
/// ids are the cursor.)
#[repr(C)]
#[derive(Debug)]
pub struct chat_message_list {
    /// The messages, in ascending id order. Borrowed from the list: freed with it.
    pub items: *const chat_message,
    /// How many.
    pub len: usize,
    /// Whether more messages lie beyond this page in the direction paged.
    pub has_more: bool,
}

impl chat_message_list {
    pub(crate) fn from_core(page: &MessagePage) -> chat_message_list {
        let (items, len) = into_raw_items(page.items.iter().map(chat_message::from_core).collect());
        chat_message_list {
            items,
            len,
            has_more: page.has_more,
        }
    }
}

impl Drop for chat_message_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
    }
}

/// A two-person thread as the session's user sees it, from
/// `chat_thread_create`, `chat_thread_get` or `chat_threads_list`.
#[repr(C)]
#[derive(Debug)]
pub struct chat_thread {
    /// The thread's id.
    pub id: i64,
    /// The two participants' user ids, lower id first.
    pub participants: [i64; 2],
    /// When the thread was created, in ms since the Unix epoch.
    pub created_at: i64,
    /// When the newest message was sent (or the creation time), in ms.
    pub last_activity_at: i64,
    /// The other participant; never NULL. Borrowed from the thread: freed
    /// with it, never on its own (hence `const`).
    pub other: *const chat_user,
    /// The newest message, or NULL when there is none yet. Borrowed from the
    /// thread: freed with it, never on its own (hence `const`).
    pub last_message: *const chat_message,
    /// Messages from the other participant not yet read by the session's user.
    pub unread_count: u64,
}

impl chat_thread {
    pub(crate) fn from_summary(summary: &ThreadSummary) -> chat_thread {
        let thread = &summary.thread;
        chat_thread {
            id: thread.id.get(),
            participants: thread.participants.map(|id| id.get()),
            created_at: millis(thread.created_at),
            last_activity_at: millis(thread.last_activity_at),
            other: into_raw(chat_user::from_core(&summary.other)).cast_const(),
            last_message: summary
                .last_message
                .as_ref()
                .map_or(ptr::null(), |message| {
                    into_raw(chat_message::from_core(message)).cast_const()
                }),
            unread_count: summary.unread_count,
        }
    }
}

impl Drop for chat_thread {
    fn drop(&mut self) {
        free_box(self.other.cast_mut());
        free_box(self.last_message.cast_mut());
    }
}

/// A page of the inbox, newest activity first: `items[0..len]` (`items` is
/// NULL when `len` is 0). `has_more` is false on the last page; else pass
/// `next_cursor` to `chat_threads_list` for the next page.
#[repr(C)]
#[derive(Debug)]
pub struct chat_thread_list {
    /// The threads, each with `other`, `last_message` and `unread_count`
    /// filled. Borrowed from the list: freed with it.
    pub items: *const chat_thread,
    /// How many.
    pub len: usize,
    /// Whether more threads follow this page (then `next_cursor` is set).
    pub has_more: bool,
    /// The cursor of the next page, or NULL on the last page. Borrowed from
    /// the list: freed with it.
    pub next_cursor: *const c_char,
}

impl chat_thread_list {
    pub(crate) fn from_core(page: &ThreadPage) -> chat_thread_list {
        let (items, len) =
            into_raw_items(page.items.iter().map(chat_thread::from_summary).collect());
        chat_thread_list {
            items,
            len,
            has_more: page.next_cursor.is_some(),
            next_cursor: page.next_cursor.as_deref().map_or(ptr::null(), c_string),
        }
    }
}

impl Drop for chat_thread_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
        free_c_string(self.next_cursor);
    }
}

/// One of the user's live login sessions.
#[repr(C)]
#[derive(Debug)]
pub struct chat_session_info {
    /// The session's public id (a UUID string, not a credential), for `chat_session_revoke`.
    pub id: *const c_char,
    /// When it was created by a login, in ms since the Unix epoch.
    pub created_at: i64,
    /// When it was last used, in ms since the Unix epoch.
    pub last_used_at: i64,
    /// When it stops working, in ms since the Unix epoch.
    pub expires_at: i64,
    /// Whether this is the session the list was asked through.
    pub current: bool,
}

impl chat_session_info {
    pub(crate) fn from_core(info: &SessionInfo) -> chat_session_info {
        chat_session_info {
            id: c_string(&info.id.to_string()),
            created_at: millis(info.created_at),
            last_used_at: millis(info.last_used_at),
            expires_at: millis(info.expires_at),
            current: info.current,
        }
    }
}

impl Drop for chat_session_info {
    fn drop(&mut self) {
        free_c_string(self.id);
    }
}

/// A list of sessions, newest first: `items[0..len]`; `items` is NULL when
/// `len` is 0. Not paged (so no `has_more` or cursor): all live sessions.
#[repr(C)]
#[derive(Debug)]
pub struct chat_session_info_list {
    /// The sessions. Borrowed from the list: freed with it.
    pub items: *const chat_session_info,
    /// How many.
    pub len: usize,
}

impl chat_session_info_list {
    pub(crate) fn from_core(sessions: &[SessionInfo]) -> chat_session_info_list {
        let (items, len) =
            into_raw_items(sessions.iter().map(chat_session_info::from_core).collect());
        chat_session_info_list { items, len }
    }
}

impl Drop for chat_session_info_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
    }
}

/// An unread counter that disagreed with the messages.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct chat_unread_mismatch {
    /// Whose counter.
    pub user_id: i64,
    /// The thread of a per-thread counter; 0 for the user's total.
    pub thread_id: i64,
    /// What the counter said (unsigned, as every count in this header).
    pub stored: u64,
    /// What the messages say.
    pub actual: u64,
}

/// The result of checking every unread counter against the messages.
#[repr(C)]
#[derive(Debug)]
pub struct chat_unread_report {
    /// Per-thread counters checked.
    pub threads_checked: u64,
    /// Per-user totals checked.
    pub users_checked: u64,
    /// The counters that disagreed: `mismatches[0..len]`, NULL when `len` is 0.
    /// Borrowed from the report: freed with it.
    pub mismatches: *const chat_unread_mismatch,
    /// How many disagreed.
    pub len: usize,
}

impl chat_unread_report {
    pub(crate) fn from_core(report: &UnreadReport) -> chat_unread_report {
        let mismatch = |m: &UnreadMismatch| chat_unread_mismatch {
            user_id: m.user_id.get(),
            thread_id: m.thread_id.map_or(0, |id| id.get()),
            stored: count(m.stored),
            actual: count(m.actual),
        };
        let (mismatches, len) = into_raw_items(report.mismatches.iter().map(mismatch).collect());
        chat_unread_report {
            threads_checked: report.threads_checked,
            users_checked: report.users_checked,
            mismatches,
            len,
        }
    }
}

impl Drop for chat_unread_report {
    fn drop(&mut self) {
        free_raw_items(self.mismatches, self.len);
    }
}

/// What `chat_import_django` did (or, in a dry run, would do).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct chat_import_report {
    /// Users imported.
    pub users: u64,
    /// Of those, accounts that cannot log in until `chat_user_set_password`
    /// (Django's unusable `!` passwords, and inactive users).
    pub users_without_login: u64,
    /// Threads imported.
    pub threads: u64,
    /// Threads whose pair already had a thread earlier in the file: their
    /// messages went to that thread.
    pub threads_merged: u64,
    /// Messages imported.
    pub messages: u64,
    /// Entries of other models, skipped (all models together).
    pub skipped_total: u64,
}

impl chat_import_report {
    pub(crate) fn from_core(report: &ImportReport) -> chat_import_report {
        chat_import_report {
            users: report.users,
            users_without_login: report.users_without_login,
            threads: report.threads,
            threads_merged: report.threads_merged,
            messages: report.messages,
            skipped_total: report.skipped.values().sum(),
        }
    }
}
