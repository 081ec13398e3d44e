//! Freeing results: one `chat_*_free` per owned result type; each frees
//! what the result owns and takes NULL as a no-op.

use crate::boundary::{free_box, guard};
use crate::{
    chat_import_report, chat_message, chat_message_list, chat_session_info_list, chat_thread,
    chat_thread_list, chat_unread_report, chat_user, chat_user_list,
};

/// Frees a user from `chat_register`, `chat_user_me`, `chat_user_get`,
/// `chat_user_find`, `chat_user_find_by_username` or
/// `chat_user_find_by_email`, with its strings. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_free(user: *mut chat_user) {
    guard((), || free_box(user))
}

/// Frees a list from `chat_users_search`, with every user in it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_list_free(users: *mut chat_user_list) {
    guard((), || free_box(users))
}

/// Frees a thread from `chat_thread_create` or `chat_thread_get`, with what
/// it owns. NULL is a no-op. (Entries of a `chat_thread_list` are freed with
/// the list, never one by one.)
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_free(thread: *mut chat_thread) {
    guard((), || free_box(thread))
}

/// Frees a page from `chat_threads_list`, with every thread, user, message
/// and the cursor in it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_list_free(threads: *mut chat_thread_list) {
    guard((), || free_box(threads))
}

/// Frees a message from `chat_message_send`, `chat_message_send_with_key`
/// or `chat_message_mark_read`, with its text. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_free(message: *mut chat_message) {
    guard((), || free_box(message))
}

/// Frees a page from `chat_messages_list`, with every message in it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_list_free(messages: *mut chat_message_list) {
    guard((), || free_box(messages))
}

/// Frees a list from `chat_sessions_list`. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_info_list_free(sessions: *mut chat_session_info_list) {
    guard((), || free_box(sessions))
}

/// Frees a report from `chat_unread_verify` or `chat_unread_repair`. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_unread_report_free(report: *mut chat_unread_report) {
    guard((), || free_box(report))
}

/// Frees a report from `chat_import_django`. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_import_report_free(report: *mut chat_import_report) {
    guard((), || free_box(report))
}
