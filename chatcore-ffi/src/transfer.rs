//! Moving data: Django import and export, backup, checkpoints, and the
//! administrative password reset.

use crate::boundary::{arg_out, arg_ref, arg_str, call, into_raw};
use crate::{chat_import_report, chat_status, chat_store};
use chatcore::UserId;
use std::ffi::c_char;
use std::fs::File;

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
