//! Naming a user exactly: by username and by email (by id is
//! `chat_user_get`). The rule is the core's (`chatcore::UserRef`); these are
//! thin translations.

use crate::boundary::{arg_out, arg_ref, arg_str, call, into_raw};
use crate::{chat_session, chat_status, chat_user};
use chatcore::UserRef;
use std::ffi::c_char;

/// Finds the user whose username is exactly `username` (NFKC-normalised,
/// case-insensitive; a look-alike such as `l` for `1` never matches). The
/// caller owns `*out_user` and frees it with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_USER_NOT_FOUND, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_find_by_username(
    session: *mut chat_session,
    username: *const c_char,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let username = arg_str(username, "username")?;
        let out = arg_out(out_user, "out_user")?;
        let user = session.session.find_user_by(UserRef::Username(username))?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}

/// Finds the user whose email is `email` (trimmed, case-insensitive, as
/// registration compares emails). The caller owns `*out_user` and frees it
/// with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_USER_NOT_FOUND, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_find_by_email(
    session: *mut chat_session,
    email: *const c_char,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let email = arg_str(email, "email")?;
        let out = arg_out(out_user, "out_user")?;
        let user = session.session.find_user_by(UserRef::Email(email))?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}
