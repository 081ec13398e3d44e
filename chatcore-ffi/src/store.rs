//! The store: opening it (from a path, with options, in memory), closing it,
//! and checking or repairing its unread counters.

use crate::boundary::{arg_opt_ref, arg_out, arg_ref, arg_str, call, free_box, guard, into_raw};
use crate::{chat_options, chat_status, chat_store, chat_unread_report};
use chatcore::Store;
use std::ffi::c_char;
use std::ptr;

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
