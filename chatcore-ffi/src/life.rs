//! A message's life (issue 17): `chat_message_edit`, `chat_message_delete`
//! (delete for everyone) and `chat_thread_clear` (clear for me). The rules
//! are the core's (`chatcore::Session::edit_message`, `delete_message`,
//! `clear_thread`); these are thin translations.

use crate::boundary::{arg_opt_out, arg_out, arg_ref, arg_str, call, into_raw};
use crate::{chat_message, chat_session, chat_status};
use chatcore::{MessageId, ThreadId};
use std::ffi::c_char;

/// Replaces the text of one of the user's own messages, within the edit
/// window (48 hours after sending by default). `text` follows the rules of
/// `chat_message_send`. The message keeps its id and place, its read state
/// does not change, and it gains `edited_at`. Writes the message as it now
/// is to `*out_message`; the caller owns it and frees it with
/// `chat_message_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also past the window, or for a
/// withdrawn message), CHAT_ERR_INVALID_TEXT, CHAT_ERR_MESSAGE_NOT_FOUND
/// (also a message the user cleared from their view),
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_NOT_SENDER, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_edit(
    session: *mut chat_session,
    message_id: i64,
    text: *const c_char,
    out_message: *mut *mut chat_message,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let text = arg_str(text, "text")?;
        let out = arg_out(out_message, "out_message")?;
        let message = session.session.edit_message(MessageId(message_id), text)?;
        out.write(into_raw(chat_message::from_core(&message)));
        Ok(())
    })
}

/// Withdraws one of the user's own messages for both participants (delete
/// for everyone), within the edit window. The message stays in the history
/// as a tombstone (`deleted_at` set, `text` ""), its text is gone from the
/// database file, and if the recipient had not read it their unread counts
/// drop at once. Withdrawing a withdrawn message changes nothing. Writes
/// the tombstone to `*out_message` unless `out_message` is NULL; the caller
/// owns it and frees it with `chat_message_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also past the window),
/// CHAT_ERR_MESSAGE_NOT_FOUND (also a message the user cleared from their
/// view), CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_NOT_SENDER,
/// CHAT_ERR_SESSION_INVALID, CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY,
/// CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_message_delete(
    session: *mut chat_session,
    message_id: i64,
    out_message: *mut *mut chat_message,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_opt_out(out_message);
        let message = session.session.delete_message(MessageId(message_id))?;
        if let Some(out) = out {
            out.write(into_raw(chat_message::from_core(&message)));
        }
        Ok(())
    })
}

/// Clears the thread for this user only (clear for me): their history,
/// previews and unread counts start after its newest message, and the
/// thread leaves their inbox until a new message arrives. The other
/// participant sees nothing change; `chat_thread_delete` still deletes for
/// both. Writes the clear mark (the newest message id when cleared, 0 for
/// an empty thread) to `*out_cleared_through` unless it is NULL.
/// Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_THREAD_NOT_FOUND,
/// CHAT_ERR_NOT_PARTICIPANT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_thread_clear(
    session: *mut chat_session,
    thread_id: i64,
    out_cleared_through: *mut i64,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_opt_out(out_cleared_through);
        let through = session.session.clear_thread(ThreadId(thread_id))?;
        if let Some(out) = out {
            out.write(through.0);
        }
        Ok(())
    })
}
