//! The C ABI of [`chatcore`]: opaque handles (`chat_store`, `chat_session`),
//! `chat_status` codes, caller-owned `#[repr(C)]` results, and a
//! thread-local `chat_last_error()`. The header `include/chatcore.h` is
//! generated from this crate by cbindgen (see `tests/header.rs`).
//!
//! Every export is a thin translation: check its arguments through the
//! helpers in `boundary` (NULL, UTF-8, out-pointers, panics), call the core,
//! write the outputs. Rules live in `chatcore`, never here.
//!
//! Conventions for all functions:
//! - A status-returning function writes its out-pointers only when it returns
//!   `CHAT_OK`; on failure they are left untouched and `chat_last_error()`
//!   says why.
//! - Every pointer argument is required unless its doc says "may be NULL";
//!   NULL where required, and a string that is not UTF-8, give
//!   `CHAT_ERR_INVALID_ARGUMENT`.
//! - Results are owned by the caller and freed with the named `chat_*_free`;
//!   every `chat_*_free(NULL)` is a no-op.
//! - `chat_store` and `chat_session` may be used from several threads at once.
//!
//! The exports are plain Rust functions too, which is how this crate's tests
//! drive them:
//!
//! ```
//! use chatcore_ffi::{chat_close, chat_last_error, chat_login, chat_open_in_memory, chat_status};
//! use std::ptr;
//!
//! let mut store = ptr::null_mut();
//! assert_eq!(chat_open_in_memory(ptr::null(), &mut store), chat_status::ChatOk);
//! let mut session = ptr::null_mut();
//! let status = chat_login(store, c"nobody@example.com".as_ptr(), c"whatever".as_ptr(), &mut session);
//! assert_eq!(status, chat_status::ChatErrInvalidCredentials);
//! assert!(session.is_null()); // outputs are written only on success
//! assert!(!chat_last_error().is_null());
//! chat_close(store);
//! ```

// The exports are `extern "C"` entry points whose pointer arguments are
// checked by the `boundary` helpers; marking them `unsafe` would change
// nothing for C callers (rustls-ffi makes the same choice).
#![allow(clippy::not_unsafe_ptr_arg_deref)]
#![allow(non_camel_case_types)]
#![warn(missing_docs)]

#[cfg(panic = "abort")]
compile_error!(
    "chatcore-ffi needs panic = \"unwind\": a panic must become CHAT_ERR_INTERNAL, never abort the host"
);

mod boundary;
mod cipher;
mod feed;
mod life;
#[cfg(test)]
mod life_tests;
mod lookup;
#[cfg(test)]
mod lookup_tests;
mod search;
mod send_key;
#[cfg(test)]
mod send_key_tests;
#[cfg(test)]
mod test_backend;
#[cfg(test)]
mod tests;
mod types;

pub use boundary::chat_status;
use boundary::{
    arg_opt_out, arg_opt_ref, arg_opt_str, arg_out, arg_ref, arg_slice, arg_str, call, free_box,
    guard, into_raw,
};
use chatcore::{
    Checkpoints, Config, Durability, MessageId, MessageQuery, NewUser, PasswordCost, Session,
    Store, ThreadId, ThreadQuery, UserId, Uuid,
};
pub use cipher::chat_rekey;
pub use feed::{
    chat_change, chat_change_cursor, chat_change_kind, chat_change_list, chat_change_list_free,
    chat_changes_list, chat_interrupt_waits, chat_wait_changes,
};
pub use life::{chat_message_delete, chat_message_edit, chat_thread_clear};
pub use lookup::{chat_user_find_by_email, chat_user_find_by_username};
pub use search::{
    CHAT_SEARCH_RECENT, CHAT_SEARCH_RELEVANCE, chat_search, chat_search_hit, chat_search_hit_list,
    chat_search_hit_list_free, chat_search_match,
};
pub use send_key::chat_message_send_with_key;
use std::ffi::{CString, c_char};
use std::fs::File;
use std::ptr;
use std::time::Duration;
pub use types::{
    chat_import_report, chat_message, chat_message_list, chat_session_info, chat_session_info_list,
    chat_thread, chat_thread_list, chat_unread_mismatch, chat_unread_report, chat_user,
    chat_user_list,
};

/// The version of this C ABI. It changes whenever a function signature or a
/// struct layout changes incompatibly; compare it with `chat_abi_version()`
/// to detect a header that does not match the loaded library.
///
/// Version 3 appended `edited_at` and `deleted_at` to `chat_message` and
/// `key`, `key_len` and `key_is_passphrase` to `chat_options`: their sizes
/// changed, so a host built against a version-2 header would read the items
/// of a `chat_message_list` at the wrong stride and pass a short
/// `chat_options`. Such a host must be rebuilt against this header (its
/// `chat_abi_version()` check fails).
pub const CHAT_ABI_VERSION: u32 = 3;

/// An open chat store (one SQLite file). Opaque.
pub struct chat_store {
    store: Store,
}

/// A logged-in user's session. Opaque. Holds its own reference to the
/// store, so it stays usable after `chat_close`.
pub struct chat_session {
    session: Session,
    token: CString,
}

impl chat_session {
    fn new(session: Session) -> chat_session {
        let token = boundary::to_c_string(session.token());
        chat_session { session, token }
    }
}

/// Settings for `chat_open_with` and `chat_open_in_memory`. Zero-initialise
/// it (`chat_options o = {0};`) and set what you need: every 0/false/NULL
/// field keeps the library default. (Its layout changed in ABI version 3,
/// which appended the key fields.)
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct chat_options {
    /// How long a write waits for another connection's lock before
    /// `CHAT_ERR_BUSY`, in ms. 0 = default (5000); `CHAT_BUSY_NO_WAIT`
    /// (`UINT32_MAX`) = don't wait: a locked database is `CHAT_ERR_BUSY` at once.
    pub busy_timeout_ms: u32,
    /// How long a session lives after login, in seconds. 0 = default (30 days).
    pub session_ttl_seconds: u64,
    /// The longest message text accepted, in bytes. 0 = default (65536).
    pub max_text_bytes: usize,
    /// true: flush every commit to disk (`synchronous=FULL`), surviving power
    /// loss at several times the cost per write. false = default (`NORMAL`).
    pub full_durability: bool,
    /// **Insecure.** true: hash new passwords with the cheapest argon2
    /// parameters, for tests only (e.g. under valgrind). Never for real accounts.
    pub insecure_fast_password_hashing_for_tests: bool,
    /// true: start no thread. WAL checkpoints then run inside the commit
    /// that makes the WAL pass its threshold (that call takes milliseconds
    /// longer), and the host may call `chat_checkpoint` when idle. false =
    /// default: a thread owned by the store checkpoints in the background,
    /// so no call waits for one.
    pub inline_checkpoints: bool,
    /// The key of an encrypted store (SQLCipher), borrowed for the call:
    /// `key_len` bytes. NULL = a plain, unencrypted file. A new file is
    /// created encrypted; an existing one that this key does not open (or a
    /// plain file, or an encrypted one opened without a key) is
    /// `CHAT_ERR_WRONG_KEY`, and is left untouched.
    /// Keep the key in the platform's secret store (the iOS Keychain, the
    /// Android Keystore), never in the app's files, and wipe your copy after the call.
    pub key: *const u8,
    /// The length of `key` in bytes: 32 for a raw key.
    pub key_len: usize,
    /// false: `key` is a raw 256-bit key (32 random bytes), used as is (fast
    /// open). true: `key` is a UTF-8 passphrase (no NUL), run through
    /// SQLCipher's key derivation (PBKDF2, tens of ms per open).
    pub key_is_passphrase: bool,
}

impl Default for chat_options {
    fn default() -> chat_options {
        chat_options {
            busy_timeout_ms: 0,
            session_ttl_seconds: 0,
            max_text_bytes: 0,
            full_durability: false,
            insecure_fast_password_hashing_for_tests: false,
            inline_checkpoints: false,
            key: ptr::null(),
            key_len: 0,
            key_is_passphrase: false,
        }
    }
}

impl chat_options {
    fn to_config(self) -> Result<Config, chatcore::Error> {
        let mut config = Config::default();
        if let Some(key) = cipher::key_arg(self.key, self.key_len, self.key_is_passphrase)? {
            config = config.key(key);
        }
        match self.busy_timeout_ms {
            0 => {}
            CHAT_BUSY_NO_WAIT => config = config.busy_timeout(Duration::ZERO),
            ms => config = config.busy_timeout(Duration::from_millis(ms.into())),
        }
        if self.session_ttl_seconds != 0 {
            config = config.session_ttl(Duration::from_secs(self.session_ttl_seconds));
        }
        if self.max_text_bytes != 0 {
            config = config.max_text_bytes(self.max_text_bytes);
        }
        if self.full_durability {
            config = config.durability(Durability::Full);
        }
        if self.insecure_fast_password_hashing_for_tests {
            config = config.password_cost(PasswordCost::INSECURE_FAST_FOR_TESTS);
        }
        if self.inline_checkpoints {
            config = config.checkpoints(Checkpoints::Inline);
        }
        Ok(config)
    }
}

/// The value of `chat_options.busy_timeout_ms` that means "don't wait": a
/// call that finds the database locked fails at once with `CHAT_ERR_BUSY`.
/// (0 cannot mean it: a zeroed `chat_options` keeps every default.)
pub const CHAT_BUSY_NO_WAIT: u32 = u32::MAX;

/// Pass as `after` to `chat_messages_list` for the oldest page of a thread:
/// the messages with ids above -1, i.e. from the very first. (`after = 0`
/// means "not given", so it cannot ask for this.)
pub const CHAT_FROM_OLDEST: i64 = -1;

/// The page size to pass as `limit` when the caller has no preference.
/// (C has no "not given", so every listing takes an explicit limit.)
pub const CHAT_DEFAULT_PAGE_LIMIT: u32 = 50;

/// The largest page `limit` a listing accepts; 0 and anything above this
/// are CHAT_ERR_INVALID_ARGUMENT.
pub const CHAT_MAX_PAGE_LIMIT: u32 = 500;

// cbindgen cannot read constants from the core crate, so the header gets
// literals; these keep them equal to the core's, the one truth.
const _: () = assert!(CHAT_DEFAULT_PAGE_LIMIT == chatcore::DEFAULT_PAGE_LIMIT);
const _: () = assert!(CHAT_MAX_PAGE_LIMIT == chatcore::MAX_PAGE_LIMIT);

/// An optional id from C, where ids are positive and 0 means "not given".
fn optional_id(id: i64) -> Option<i64> {
    (id != 0).then_some(id)
}

/// `after` from C: 0 is "not given", `CHAT_FROM_OLDEST` is "above no id"
/// (the core's `after: 0`, the oldest page).
fn after_id(id: i64) -> Option<i64> {
    if id == CHAT_FROM_OLDEST {
        Some(0)
    } else {
        optional_id(id)
    }
}

// ---------------------------------------------------------------------------
// Library

/// The library's version, e.g. "0.1.0". Static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn chat_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// The ABI version of the loaded library; equals `CHAT_ABI_VERSION` of the
/// header it was built with. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn chat_abi_version() -> u32 {
    CHAT_ABI_VERSION
}

/// The message of this thread's last failed call, or NULL if the last
/// status-returning call on this thread succeeded (or none was made).
/// Borrowed: valid until the next status-returning call on this thread;
/// never free it. Each thread has its own. Never contains a password or token.
#[unsafe(no_mangle)]
pub extern "C" fn chat_last_error() -> *const c_char {
    guard(ptr::null(), boundary::last_error)
}

// ---------------------------------------------------------------------------
// Store

/// Opens (creating if needed, readable by its owner only) the store at
/// `path` (UTF-8) with default settings, and writes it to `*out_store`.
/// The caller owns the store and closes it with `chat_close`. For a store
/// in memory use `chat_open_in_memory`, not the path ":memory:".
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_STORAGE (cannot open, not a
/// chatcore file), CHAT_ERR_SCHEMA_TOO_NEW, CHAT_ERR_BUSY, CHAT_ERR_WRONG_KEY
/// (an encrypted file: open it with `chat_open_with` and its key).
#[unsafe(no_mangle)]
pub extern "C" fn chat_open(path: *const c_char, out_store: *mut *mut chat_store) -> chat_status {
    chat_open_with(path, ptr::null(), out_store)
}

/// As `chat_open`, with settings. `options` may be NULL (all defaults).
/// The caller owns the store and closes it with `chat_close`.
/// Errors: as `chat_open`, plus CHAT_ERR_INVALID_ARGUMENT for unusable options.
#[unsafe(no_mangle)]
pub extern "C" fn chat_open_with(
    path: *const c_char,
    options: *const chat_options,
    out_store: *mut *mut chat_store,
) -> chat_status {
    call(|| {
        let path = arg_str(path, "path")?;
        let config = arg_opt_ref(options)
            .copied()
            .unwrap_or_default()
            .to_config()?;
        let out = arg_out(out_store, "out_store")?;
        let store = Store::open_with(path, config)?;
        out.write(into_raw(chat_store { store }));
        Ok(())
    })
}

/// Opens a private store in memory, gone when the store and all its
/// sessions are freed. `options` may be NULL. The caller owns the store and
/// closes it with `chat_close`.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_open_in_memory(
    options: *const chat_options,
    out_store: *mut *mut chat_store,
) -> chat_status {
    call(|| {
        let config = arg_opt_ref(options)
            .copied()
            .unwrap_or_default()
            .to_config()?;
        let out = arg_out(out_store, "out_store")?;
        let store = Store::open_in_memory_with(config)?;
        out.write(into_raw(chat_store { store }));
        Ok(())
    })
}

/// Releases the caller's store handle. Sessions made from it stay valid: the
/// file is closed when the last of them is freed too. NULL is a no-op.
/// Must not race with other calls using this same `store` pointer.
#[unsafe(no_mangle)]
pub extern "C" fn chat_close(store: *mut chat_store) {
    guard((), || free_box(store))
}

/// Recomputes every unread counter from the messages and reports those that
/// disagree, changing nothing. The caller owns `*out_report` and frees it
/// with `chat_unread_report_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_unread_verify(
    store: *mut chat_store,
    out_report: *mut *mut chat_unread_report,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let out = arg_out(out_report, "out_report")?;
        let report = store.store.verify_unread()?;
        out.write(into_raw(chat_unread_report::from_core(&report)));
        Ok(())
    })
}

/// As `chat_unread_verify`, and sets every disagreeing counter to what the
/// messages say, in one transaction. The caller owns `*out_report` and
/// frees it with `chat_unread_report_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_STORAGE, CHAT_ERR_BUSY.
#[unsafe(no_mangle)]
pub extern "C" fn chat_unread_repair(
    store: *mut chat_store,
    out_report: *mut *mut chat_unread_report,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let out = arg_out(out_report, "out_report")?;
        let report = store.store.repair_unread()?;
        out.write(into_raw(chat_unread_report::from_core(&report)));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Moving data: Django import and export, backup

/// Imports a Django `dumpdata` JSON file (the original service's format:
/// `user.user`, `chat.thread`, `chat.message`; other models are skipped and
/// counted) from the file at `path` (UTF-8), all or nothing. Primary keys
/// and password hashes are kept, so users log in with their old passwords;
/// accounts without a usable one need `chat_user_set_password`. With
/// `dry_run`, everything is checked as for real and nothing is written.
/// The caller owns `*out_report` and frees it with `chat_import_report_free`.
/// Thread-safe (the import is one write transaction).
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_INVALID_IMPORT (malformed
/// file, a rule broken, a pk already in the store; `chat_last_error()` names
/// the entry; nothing was imported), CHAT_ERR_STORAGE (the file cannot be
/// opened or read), CHAT_ERR_BUSY.
#[unsafe(no_mangle)]
pub extern "C" fn chat_import_django(
    store: *mut chat_store,
    path: *const c_char,
    dry_run: bool,
    out_report: *mut *mut chat_import_report,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let path = arg_str(path, "path")?;
        let out = arg_out(out_report, "out_report")?;
        let file = File::open(path).map_err(|err| file_error("cannot open", path, err))?;
        let report = store.store.import_django(file, dry_run)?;
        out.write(into_raw(chat_import_report::from_core(&report)));
        Ok(())
    })
}

/// Writes the whole store, from one consistent snapshot, as a Django
/// `dumpdata` JSON file at `path` (UTF-8) that `chat_import_django` reads
/// back to the same data. It holds password hashes: the file is readable
/// by its owner only. It is written beside `path` and renamed into place
/// when complete, so a failure never leaves a half-written file. Never
/// overwrites: anything already at `path` (even an empty file, or one that
/// appears while the export runs) is refused and kept. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (NULL, not UTF-8, a file, directory
/// or link already at `path`), CHAT_ERR_STORAGE (cannot write the file).
#[unsafe(no_mangle)]
pub extern "C" fn chat_export_django(store: *mut chat_store, path: *const c_char) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        store.store.export_django_to_file(arg_str(path, "path")?)
    })
}

/// Writes a consistent copy of the whole store to a new database file at
/// `path` (UTF-8, readable by its owner only), while other threads and
/// processes go on using the store. Written beside `path` and renamed into
/// place when complete; never overwrites anything already at `path` (even
/// an empty file, or one that appears meanwhile). Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (NULL, not UTF-8, a file, directory
/// or link already at `path`), CHAT_ERR_STORAGE (cannot write it),
/// CHAT_ERR_BUSY.
#[unsafe(no_mangle)]
pub extern "C" fn chat_backup(store: *mut chat_store, path: *const c_char) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        store.store.backup(arg_str(path, "path")?)
    })
}

/// Runs a WAL checkpoint now, without waiting for or blocking other
/// readers and writers: never needed for correctness; a host that opened
/// with `inline_checkpoints` may call it when idle so that fewer commits
/// run one themselves. Does nothing for an in-memory or read-only store.
/// Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (NULL), CHAT_ERR_BUSY (another
/// process is checkpointing), CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_checkpoint(store: *mut chat_store) -> chat_status {
    call(|| arg_ref(store, "store")?.store.checkpoint())
}

/// Sets the password of user `user_id`: an administrative call for the host
/// application (no session needed), for accounts imported without a usable
/// password, or a reset. Ends all of that user's sessions. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT, CHAT_ERR_WEAK_PASSWORD,
/// CHAT_ERR_USER_NOT_FOUND, CHAT_ERR_BUSY, CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_user_set_password(
    store: *mut chat_store,
    user_id: i64,
    password: *const c_char,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let password = arg_str(password, "password")?;
        store.store.set_password(UserId(user_id), password)
    })
}

fn file_error(what: &str, path: &str, err: std::io::Error) -> chatcore::Error {
    chatcore::Error::Storage {
        message: format!("{what} {path}: {err}"),
        source: Some(Box::new(err)),
    }
}

// ---------------------------------------------------------------------------
// Accounts and sessions

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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// Threads

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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// Freeing results

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
