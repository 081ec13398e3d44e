//! Threads (create-or-get, read, delete, the inbox, marking read) and
//! messages (send, history pages, marking one read, the unread count).

use crate::boundary::{
    arg_opt_out, arg_opt_str, arg_out, arg_ref, arg_slice, arg_str, call, into_raw,
};
use crate::{
    after_id, chat_message, chat_message_list, chat_session, chat_status, chat_thread,
    chat_thread_list, optional_id,
};
use chatcore::{MessageId, MessageQuery, ThreadId, ThreadQuery, UserId};
use std::ffi::c_char;

/// Returns the thread between the `count` users in `participants` (a thread
/// has exactly 2; the session's user must be one), creating it if there is
/// none. Writes the thread to `*out_thread`, as the inbox shows it (with
/// `other`, `last_message` and `unread_count`), and whether it was created
/// now to `*out_created` (may be NULL: not wanted). The caller owns the thread and frees it with
/// `chat_thread_free`. Thread-safe; concurrent calls never make two threads.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_WRONG_PARTICIPANT_COUNT,
/// CHAT_ERR_DUPLICATE_PARTICIPANT, CHAT_ERR_USER_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE;
/// CHAT_ERR_THREAD_NOT_FOUND if the other participant deleted the thread
/// between its creation and its reading back (the thread is then gone).
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_create(
    session: *mut chat_session,
    participants: *const i64,
    count: usize,
    out_thread: *mut *mut chat_thread,
    out_created: *mut bool,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let ids: Vec<UserId> = arg_slice(participants, count, "participants")?
            .iter()
            .map(|&id| UserId(id))
            .collect();
        let out_thread = arg_out(out_thread, "out_thread")?;
        let out_created = arg_opt_out(out_created);
        let (thread, created) = session.session.create_thread(&ids)?;
        let summary = session.session.thread_summary(thread.id)?;
        out_thread.write(into_raw(chat_thread::from_summary(&summary)));
        if let Some(out_created) = out_created {
            out_created.write(created);
        }
        Ok(())
    })
}

/// Writes the thread `thread_id` to `*out_thread`, as the inbox shows it:
/// with `other`, `last_message` and the session's user's `unread_count`.
/// The caller owns it and frees it with `chat_thread_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_THREAD_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_get(
    session: *mut chat_session,
    thread_id: i64,
    out_thread: *mut *mut chat_thread,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_thread, "out_thread")?;
        let summary = session.session.thread_summary(ThreadId(thread_id))?;
        out.write(into_raw(chat_thread::from_summary(&summary)));
        Ok(())
    })
}

/// Deletes the thread and all its messages, for both participants. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_THREAD_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_delete(session: *mut chat_session, thread_id: i64) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        session.session.delete_thread(ThreadId(thread_id))
    })
}

/// Lists the user's threads, newest activity first, each with the other
/// participant, the last message and the unread count. `cursor` may be NULL
/// (first page), else a `next_cursor` exactly as returned; `limit` 1 to
/// `CHAT_MAX_PAGE_LIMIT` (`CHAT_DEFAULT_PAGE_LIMIT` when you have no
/// preference). The caller owns `*out_threads` and frees it with
/// `chat_thread_list_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also a bad cursor, a `limit` of 0 or
/// over `CHAT_MAX_PAGE_LIMIT`), CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_threads_list(
    session: *mut chat_session,
    cursor: *const c_char,
    limit: u32,
    out_threads: *mut *mut chat_thread_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let query = ThreadQuery {
            cursor: arg_opt_str(cursor, "cursor")?,
            limit: Some(limit),
        };
        let out = arg_out(out_threads, "out_threads")?;
        let page = session.session.list_threads(&query)?;
        out.write(into_raw(chat_thread_list::from_core(&page)));
        Ok(())
    })
}

/// Marks the other participant's messages in the thread read, up to and
/// including message `up_to` (0 = not given: all; ids are positive), and
/// writes how many were newly
/// marked to `*out_marked`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also a negative `up_to`),
/// CHAT_ERR_THREAD_NOT_FOUND, CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED,
/// CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_mark_read(
    session: *mut chat_session,
    thread_id: i64,
    up_to: i64,
    out_marked: *mut u64,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_marked, "out_marked")?;
        let up_to = optional_id(up_to).map(MessageId);
        out.write(
            session
                .session
                .mark_thread_read(ThreadId(thread_id), up_to)?,
        );
        Ok(())
    })
}

// Messages

/// Sends `text` (UTF-8, not blank, at most the configured size) to the
/// thread as the session's user. The caller owns `*out_message` and frees
/// it with `chat_message_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_INVALID_TEXT,
/// CHAT_ERR_THREAD_NOT_FOUND, CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED,
/// CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_send(
    session: *mut chat_session,
    thread_id: i64,
    text: *const c_char,
    out_message: *mut *mut chat_message,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let text = arg_str(text, "text")?;
        let out = arg_out(out_message, "out_message")?;
        let message = session.session.send(ThreadId(thread_id), text)?;
        out.write(into_raw(chat_message::from_core(&message)));
        Ok(())
    })
}

/// A page of the thread's history, in ascending id order: the newest
/// `limit` messages with ids below `before`, or the oldest `limit` with ids
/// above `after` (0 = not given, as ids are positive; give at most one;
/// neither = the newest page). `after = CHAT_FROM_OLDEST` gives the oldest
/// page, to read a thread from its start without knowing an id. `limit` 1 to `CHAT_MAX_PAGE_LIMIT`
/// (`CHAT_DEFAULT_PAGE_LIMIT` when you have no preference). The caller owns
/// `*out_messages` and frees it with `chat_message_list_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also both `before` and `after`, a
/// negative id, a `limit` of 0 or over `CHAT_MAX_PAGE_LIMIT`),
/// CHAT_ERR_THREAD_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_messages_list(
    session: *mut chat_session,
    thread_id: i64,
    before: i64,
    after: i64,
    limit: u32,
    out_messages: *mut *mut chat_message_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_messages, "out_messages")?;
        let query = MessageQuery {
            before: optional_id(before).map(MessageId),
            after: after_id(after).map(MessageId),
            limit: Some(limit),
        };
        let page = session.session.list_messages(ThreadId(thread_id), &query)?;
        out.write(into_raw(chat_message_list::from_core(&page)));
        Ok(())
    })
}

/// Marks one message read; only its recipient may, and marking again keeps
/// the first `read_at`. Writes the message as stored to `*out_message`; the
/// caller owns it and frees it with `chat_message_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_MESSAGE_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_NOT_RECIPIENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED,
/// CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_mark_read(
    session: *mut chat_session,
    message_id: i64,
    out_message: *mut *mut chat_message,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_message, "out_message")?;
        let message = session.session.mark_read(MessageId(message_id))?;
        out.write(into_raw(chat_message::from_core(&message)));
        Ok(())
    })
}

/// Writes to `*out_count` how many messages sent to the session's user, in
/// all their threads, are unread (never counting their own). Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_unread_count(
    session: *mut chat_session,
    out_count: *mut u64,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_count, "out_count")?;
        out.write(session.session.unread_count()?);
        Ok(())
    })
}
