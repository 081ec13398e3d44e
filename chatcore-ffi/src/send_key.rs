//! The idempotent send (`chat_message_send_with_key`). The rule is the
//! core's (`chatcore::Session::send_with_key`); this is a thin translation.

use crate::boundary::{arg_opt_out, arg_out, arg_ref, arg_str, call, into_raw};
use crate::{chat_message, chat_session, chat_status};
use chatcore::ThreadId;
use std::ffi::c_char;

/// Sends `text` to the thread at most once per client `key` (UTF-8, 1 to
/// 64 bytes, no control characters, no whitespace at either end; e.g. a
/// UUID the host made before its first try). The first call stores the
/// message and sets `*out_created` to true; a later call by the same user
/// with the same key and text (a retry after a timeout or a crash, from any
/// process) returns that first message (same id and time), sets
/// `*out_created` to false and stores nothing. Another text or thread under
/// a used key is CHAT_ERR_INVALID_ARGUMENT. `out_created` may be NULL. The
/// caller owns `*out_message` and frees it with `chat_message_free`.
/// Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_INVALID_TEXT,
/// CHAT_ERR_THREAD_NOT_FOUND, CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED,
/// CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_send_with_key(
    session: *mut chat_session,
    thread_id: i64,
    text: *const c_char,
    key: *const c_char,
    out_message: *mut *mut chat_message,
    out_created: *mut bool,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let text = arg_str(text, "text")?;
        let key = arg_str(key, "key")?;
        let out = arg_out(out_message, "out_message")?;
        let out_created = arg_opt_out(out_created);
        let (message, created) = session
            .session
            .send_with_key(ThreadId(thread_id), text, key)?;
        out.write(into_raw(chat_message::from_core(&message)));
        if let Some(out_created) = out_created {
            out_created.write(created);
        }
        Ok(())
    })
}
