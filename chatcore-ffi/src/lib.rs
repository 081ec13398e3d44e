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

// cbindgen writes the exports into the header in the order it meets them:
// these modules first, one group each so that rustfmt keeps their order.
mod store;

mod transfer;

mod accounts;

mod threads;

mod free;

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
#[cfg(test)]
mod threads_tests;
#[cfg(test)]
mod transfer_tests;
mod types;

pub use accounts::{
    chat_login, chat_logout, chat_register, chat_session_free, chat_session_resume,
    chat_session_revoke, chat_session_token, chat_session_user_id, chat_sessions_list,
    chat_user_find, chat_user_get, chat_user_me, chat_users_search,
};
pub use boundary::chat_status;
use boundary::guard;
use chatcore::{Checkpoints, Config, Durability, PasswordCost, Session, Store};
pub use cipher::chat_rekey;
pub use feed::{
    chat_change, chat_change_cursor, chat_change_kind, chat_change_list, chat_change_list_free,
    chat_changes_list, chat_interrupt_waits, chat_wait_changes,
};
pub use free::{
    chat_import_report_free, chat_message_free, chat_message_list_free,
    chat_session_info_list_free, chat_thread_free, chat_thread_list_free, chat_unread_report_free,
    chat_user_free, chat_user_list_free,
};
pub use life::{chat_message_delete, chat_message_edit, chat_thread_clear};
pub use lookup::{chat_user_find_by_email, chat_user_find_by_username};
pub use search::{
    CHAT_SEARCH_RECENT, CHAT_SEARCH_RELEVANCE, chat_search, chat_search_hit, chat_search_hit_list,
    chat_search_hit_list_free, chat_search_match,
};
pub use send_key::chat_message_send_with_key;
use std::ffi::{CString, c_char};
use std::ptr;
use std::time::Duration;
pub use store::{
    chat_close, chat_open, chat_open_in_memory, chat_open_with, chat_unread_repair,
    chat_unread_verify,
};
pub use threads::{
    chat_message_mark_read, chat_message_send, chat_messages_list, chat_thread_create,
    chat_thread_delete, chat_thread_get, chat_thread_mark_read, chat_threads_list,
    chat_unread_count,
};
pub use transfer::{
    chat_backup, chat_checkpoint, chat_export_django, chat_import_django, chat_user_set_password,
};
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
