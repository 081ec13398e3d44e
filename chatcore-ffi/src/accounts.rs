//! Accounts and sessions (register, login, resume, logout, listing and
//! revoking sessions) and reading users.

use crate::boundary::{arg_opt_str, arg_out, arg_ref, arg_str, call, free_box, guard, into_raw};
use crate::{
    chat_session, chat_session_info_list, chat_status, chat_store, chat_user, chat_user_list,
};
use chatcore::{NewUser, UserId, Uuid};
use std::ffi::c_char;
use std::ptr;

/// Creates a user. `first_name` and `last_name` may be NULL (empty). The
/// caller owns `*out_user` and frees it with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also a name over 150 characters),
/// CHAT_ERR_INVALID_EMAIL, CHAT_ERR_INVALID_USERNAME, CHAT_ERR_WEAK_PASSWORD,
/// CHAT_ERR_EMAIL_TAKEN, CHAT_ERR_USERNAME_TAKEN, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_register(
    store: *mut chat_store,
    email: *const c_char,
    username: *const c_char,
    password: *const c_char,
    first_name: *const c_char,
    last_name: *const c_char,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let new = NewUser {
            email: arg_str(email, "email")?,
            username: arg_str(username, "username")?,
            password: arg_str(password, "password")?,
            first_name: arg_opt_str(first_name, "first_name")?.unwrap_or(""),
            last_name: arg_opt_str(last_name, "last_name")?.unwrap_or(""),
        };
        let out = arg_out(out_user, "out_user")?;
        let user = store.store.register(&new)?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}

/// Logs in and writes a new session to `*out_session`. The caller owns it
/// and frees it with `chat_session_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_INVALID_CREDENTIALS (unknown
/// email or wrong password alike), CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_login(
    store: *mut chat_store,
    email: *const c_char,
    password: *const c_char,
    out_session: *mut *mut chat_session,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let email = arg_str(email, "email")?;
        let password = arg_str(password, "password")?;
        let out = arg_out(out_session, "out_session")?;
        let session = store.store.login(email, password)?;
        out.write(into_raw(chat_session::new(session)));
        Ok(())
    })
}

/// Picks up a session from its token (see `chat_session_token`). The caller
/// owns `*out_session` and frees it with `chat_session_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_resume(
    store: *mut chat_store,
    token: *const c_char,
    out_session: *mut *mut chat_session,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let token = arg_str(token, "token")?;
        let out = arg_out(out_session, "out_session")?;
        let session = store.store.resume(token)?;
        out.write(into_raw(chat_session::new(session)));
        Ok(())
    })
}

/// The session's secret token, for `chat_session_resume` in a later run.
/// Treat it as a password. Borrowed: valid until `chat_session_free(session)`;
/// never free it. NULL if `session` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_token(session: *mut chat_session) -> *const c_char {
    guard(ptr::null(), || {
        arg_ref(session, "session").map_or(ptr::null(), |session| session.token.as_ptr())
    })
}

/// Writes the session's user id to `*out_user_id`. Does not check that the
/// session is still valid (no database access). Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_user_id(
    session: *mut chat_session,
    out_user_id: *mut i64,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_user_id, "out_user_id")?;
        out.write(session.session.user_id().get());
        Ok(())
    })
}

/// Ends the session, here and in every process using the file. The handle
/// must still be freed with `chat_session_free`; further calls with it fail
/// with CHAT_ERR_SESSION_INVALID. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID (already
/// ended), CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_logout(session: *mut chat_session) -> chat_status {
    call(|| arg_ref(session, "session")?.session.logout())
}

/// Frees a session handle (it does not log out). NULL is a no-op. Must not
/// race with other calls using this same `session` pointer. When it is the
/// last reference to a closed store, the store's file is closed.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_free(session: *mut chat_session) {
    guard((), || free_box(session))
}

/// Lists the user's live sessions, newest first. The caller owns
/// `*out_sessions` and frees it with `chat_session_info_list_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_sessions_list(
    session: *mut chat_session,
    out_sessions: *mut *mut chat_session_info_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_sessions, "out_sessions")?;
        let sessions = session.session.sessions()?;
        out.write(into_raw(chat_session_info_list::from_core(&sessions)));
        Ok(())
    })
}

/// Ends one of the user's own sessions (possibly this one) by its public id
/// (`chat_session_info.id`). Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (NULL, not UTF-8, not a UUID),
/// CHAT_ERR_SESSION_INVALID (this session is not valid, or the user has no
/// session with that id), CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_session_revoke(
    session: *mut chat_session,
    session_id: *const c_char,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let text = arg_str(session_id, "session_id")?;
        let id = Uuid::parse_str(text).map_err(|_| {
            chatcore::Error::InvalidArgument(format!(
                "session_id {text:?} is not a session id (a UUID)"
            ))
        })?;
        session.session.revoke_session(id)
    })
}

// Users

/// Writes the session's own user to `*out_user`. The caller owns it and
/// frees it with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_me(
    session: *mut chat_session,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_user, "out_user")?;
        let user = session.session.me()?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}

/// Writes the user with id `user_id` to `*out_user`. The caller owns it and
/// frees it with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_USER_NOT_FOUND, CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_get(
    session: *mut chat_session,
    user_id: i64,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let out = arg_out(out_user, "out_user")?;
        let user = session.session.user(UserId(user_id))?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}

/// Finds the one user named by text a person typed: `id:2`, `username:ann`
/// or `email:ann@example.com`, or bare text, tried as an email (if it has
/// an `@`), a username and an id (if all digits). Bare text that names two
/// different accounts is CHAT_ERR_AMBIGUOUS_USER, and chat_last_error()
/// lists the explicit spelling of each; nothing is ever picked on a guess.
/// To name a user exactly use `chat_user_get` (id),
/// `chat_user_find_by_username` or `chat_user_find_by_email`. The caller
/// owns `*out_user` and frees it with `chat_user_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also a malformed `id:`),
/// CHAT_ERR_USER_NOT_FOUND, CHAT_ERR_AMBIGUOUS_USER,
/// CHAT_ERR_SESSION_INVALID, CHAT_ERR_SESSION_EXPIRED.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_find(
    session: *mut chat_session,
    query: *const c_char,
    out_user: *mut *mut chat_user,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let query = arg_str(query, "query")?;
        let out = arg_out(out_user, "out_user")?;
        let user = session.session.find_user(query)?;
        out.write(into_raw(chat_user::from_core(&user)));
        Ok(())
    })
}

/// Lists users whose username or email starts with `prefix`
/// (case-insensitive), by username, at most `limit` (1 to
/// `CHAT_MAX_PAGE_LIMIT`; `CHAT_DEFAULT_PAGE_LIMIT` when you have no
/// preference). The caller owns `*out_users` and frees it with
/// `chat_user_list_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (also `limit` 0 or over
/// `CHAT_MAX_PAGE_LIMIT`), CHAT_ERR_SESSION_INVALID,
/// CHAT_ERR_SESSION_EXPIRED.
#[unsafe(no_mangle)]
pub extern "C" fn chat_users_search(
    session: *mut chat_session,
    prefix: *const c_char,
    limit: u32,
    out_users: *mut *mut chat_user_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let prefix = arg_str(prefix, "prefix")?;
        let out = arg_out(out_users, "out_users")?;
        let users = session.session.search_users(prefix, Some(limit))?;
        out.write(into_raw(chat_user_list::from_core(&users)));
        Ok(())
    })
}
