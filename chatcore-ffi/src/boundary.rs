//! The boundary helpers every export goes through: the status codes, the
//! thread-local last error, the panic guard, and the checked conversions of
//! C pointers and strings. Nothing else in the crate touches a raw argument.

use chatcore::Error;
use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

/// The result of every fallible call. The numbers are stable: a number never
/// changes meaning, and new kinds are appended with new numbers.
///
/// After any status other than `CHAT_OK`, `chat_last_error()` describes it.
/// cbindgen:prefix-with-name=false
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum chat_status {
    /// Success.
    ChatOk = 0,
    /// A NULL where a pointer is required, invalid UTF-8, a bad page limit,
    /// a bad cursor or id, or unusable options.
    ChatErrInvalidArgument = 1,
    /// The email address is not acceptable.
    ChatErrInvalidEmail = 2,
    /// The username is not acceptable (1-150 letters, digits and `@.+-_`).
    ChatErrInvalidUsername = 3,
    /// The password is shorter than 8 characters or longer than 1024 bytes.
    ChatErrWeakPassword = 4,
    /// The message text is empty (after trimming) or too long.
    ChatErrInvalidText = 5,
    /// Another user already has this email.
    ChatErrEmailTaken = 6,
    /// Another user already has this username.
    ChatErrUsernameTaken = 7,
    /// Unknown email or wrong password (deliberately not told apart).
    ChatErrInvalidCredentials = 8,
    /// The session was logged out, revoked or never existed.
    ChatErrSessionInvalid = 9,
    /// The session has expired.
    ChatErrSessionExpired = 10,
    /// No such user.
    ChatErrUserNotFound = 11,
    /// No such thread.
    ChatErrThreadNotFound = 12,
    /// No such message.
    ChatErrMessageNotFound = 13,
    /// A thread needs exactly two participants.
    ChatErrWrongParticipantCount = 14,
    /// The same user was given twice as a participant.
    ChatErrDuplicateParticipant = 15,
    /// The session's user is not a participant of the thread.
    ChatErrNotParticipant = 16,
    /// Only the recipient of a message may mark it read.
    ChatErrNotRecipient = 17,
    /// The database stayed locked past the busy timeout; try again.
    ChatErrBusy = 18,
    /// I/O error, disk full, or a file that is not a chatcore database.
    ChatErrStorage = 19,
    /// The file was written by a newer chatcore; it was left untouched.
    ChatErrSchemaTooNew = 20,
    /// An import file is malformed or breaks a rule; `chat_last_error()`
    /// names the entry (model and pk). Nothing was imported.
    ChatErrInvalidImport = 21,
    /// Text naming a user (`chat_user_find`) names two different accounts;
    /// `chat_last_error()` lists how to name each one alone. Nothing was done.
    ChatErrAmbiguousUser = 22,
    /// A change cursor is older than the feed's kept entries (pruned by
    /// retention): reload the screens and take a fresh `chat_change_cursor`.
    ChatErrChangesExpired = 23,
    /// Only the sender of a message may edit or withdraw it.
    ChatErrNotSender = 24,
    /// The store's file cannot be read with the key given: a wrong key, a
    /// key for a plain file, or no key for an encrypted one. The file was
    /// left untouched.
    ChatErrWrongKey = 25,
    /// A bug: a panic caught at the boundary, or an error kind this build
    /// of the C ABI does not know.
    ChatErrInternal = 99,
}

impl chat_status {
    /// The status of a core error: `from_code(err.code())`.
    pub fn from_error(err: &Error) -> chat_status {
        chat_status::from_code(err.code())
    }

    /// The one mapping from the core's machine codes (`Error::code()`) to C
    /// status numbers. A code this build does not know is `CHAT_ERR_INTERNAL`;
    /// a test keeps every code the core defines out of that fallback.
    pub fn from_code(code: &str) -> chat_status {
        match code {
            "invalid_argument" => chat_status::ChatErrInvalidArgument,
            "invalid_email" => chat_status::ChatErrInvalidEmail,
            "invalid_username" => chat_status::ChatErrInvalidUsername,
            "weak_password" => chat_status::ChatErrWeakPassword,
            "invalid_text" => chat_status::ChatErrInvalidText,
            "email_taken" => chat_status::ChatErrEmailTaken,
            "username_taken" => chat_status::ChatErrUsernameTaken,
            "invalid_credentials" => chat_status::ChatErrInvalidCredentials,
            "session_invalid" => chat_status::ChatErrSessionInvalid,
            "session_expired" => chat_status::ChatErrSessionExpired,
            "user_not_found" => chat_status::ChatErrUserNotFound,
            "thread_not_found" => chat_status::ChatErrThreadNotFound,
            "message_not_found" => chat_status::ChatErrMessageNotFound,
            "wrong_participant_count" => chat_status::ChatErrWrongParticipantCount,
            "duplicate_participant" => chat_status::ChatErrDuplicateParticipant,
            "not_participant" => chat_status::ChatErrNotParticipant,
            "not_recipient" => chat_status::ChatErrNotRecipient,
            "busy" => chat_status::ChatErrBusy,
            "storage" => chat_status::ChatErrStorage,
            "schema_too_new" => chat_status::ChatErrSchemaTooNew,
            "invalid_import" => chat_status::ChatErrInvalidImport,
            "ambiguous_user" => chat_status::ChatErrAmbiguousUser,
            "changes_expired" => chat_status::ChatErrChangesExpired,
            "not_sender" => chat_status::ChatErrNotSender,
            "wrong_key" => chat_status::ChatErrWrongKey,
            _ => chat_status::ChatErrInternal,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str) {
    // A message for people may quote input (from an import file, say); a
    // NUL in it must not cost the whole message.
    let message = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(message));
}

fn clear_last_error() {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = None);
}

/// This thread's last error message, or NULL. The pointer stays valid until
/// the next status-returning call on this thread replaces or clears it.
pub(crate) fn last_error() -> *const c_char {
    LAST_ERROR.with(|slot| {
        slot.borrow()
            .as_ref()
            .map_or(std::ptr::null(), |message| message.as_ptr())
    })
}

/// Runs the body of a status-returning export: clears the last error, runs
/// `work` with panics caught, and turns the outcome into a status (setting
/// the last error on failure). No panic ever unwinds past this.
pub(crate) fn call(work: impl FnOnce() -> Result<(), Error>) -> chat_status {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(())) => chat_status::ChatOk,
        Ok(Err(err)) => {
            set_last_error(&err.to_string());
            chat_status::from_error(&err)
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            set_last_error(&format!(
                "internal error: a panic was caught at the C boundary ({what}); please report this bug"
            ));
            chat_status::ChatErrInternal
        }
    }
}

/// Runs the body of an export that returns no status (`_free`, `_close`, and
/// borrowed getters), with panics caught: on a panic it returns `fallback`.
pub(crate) fn guard<T>(fallback: T, work: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or(fallback)
}

fn null_argument(name: &str) -> Error {
    Error::InvalidArgument(format!("{name} must not be NULL"))
}

/// Borrows a handle or struct the caller passed; NULL is an invalid argument.
pub(crate) fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: the C contract: a non-NULL pointer points to a live `T`.
    unsafe { ptr.as_ref() }.ok_or_else(|| null_argument(name))
}

/// Borrows an optional struct the caller passed; NULL is `None`.
pub(crate) fn arg_opt_ref<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: as `arg_ref`.
    unsafe { ptr.as_ref() }
}

/// Borrows a required UTF-8 C string; NULL or invalid UTF-8 is an invalid argument.
pub(crate) fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    arg_opt_str(ptr, name)?.ok_or_else(|| null_argument(name))
}

/// Borrows an optional UTF-8 C string; NULL is `None`, invalid UTF-8 an invalid argument.
pub(crate) fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the C contract: a non-NULL string is NUL-terminated and live.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map(Some)
        .map_err(|_| Error::InvalidArgument(format!("{name} is not valid UTF-8")))
}

/// Borrows a required array of `len` elements; NULL is an invalid argument.
pub(crate) fn arg_slice<'a, T>(ptr: *const T, len: usize, name: &str) -> Result<&'a [T], Error> {
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: the C contract: `ptr` points to `len` initialised elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A checked out-pointer: validated before any work is done, written only
/// once the work has succeeded.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Writes the result; the previous contents are not read or dropped.
    pub(crate) fn write(self, value: T) {
        // SAFETY: the C contract: a non-NULL out-pointer is valid for writes.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// Checks a required out-pointer; NULL is an invalid argument.
pub(crate) fn arg_out<T>(ptr: *mut T, name: &str) -> Result<Out<T>, Error> {
    NonNull::new(ptr)
        .map(Out)
        .ok_or_else(|| null_argument(name))
}

/// Checks an optional out-pointer; NULL is `None` (the caller does not want it).
pub(crate) fn arg_opt_out<T>(ptr: *mut T) -> Option<Out<T>> {
    NonNull::new(ptr).map(Out)
}

/// Takes back ownership of something this library handed out with
/// `Box::into_raw` and drops it; NULL is a no-op.
pub(crate) fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the C contract: `ptr` came from this library and is freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Hands a value to C as an owned pointer.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// A caller-owned C string of data from the core. The core refuses control
/// characters (NUL among them) in every text and name it stores, and its
/// ids, tokens and cursors are ASCII; a NUL here would be a core bug, which
/// panics and is returned as CHAT_ERR_INTERNAL by the boundary.
pub(crate) fn to_c_string(text: &str) -> CString {
    CString::new(text)
        .expect("chatcore returned a string with a NUL byte, which it refuses to store")
}

/// A caller-owned C string pointer, freed by `free_c_string`.
pub(crate) fn c_string(text: &str) -> *const c_char {
    to_c_string(text).into_raw()
}

/// Frees a string made by `c_string`; NULL is a no-op.
pub(crate) fn free_c_string(ptr: *const c_char) {
    if !ptr.is_null() {
        // SAFETY: `ptr` came from `CString::into_raw` in `c_string`.
        drop(unsafe { CString::from_raw(ptr.cast_mut()) });
    }
}

/// Hands a list to C as `(items, len)`; an empty list is `(NULL, 0)`. The
/// items belong to the struct that holds them, so C sees them `const`.
pub(crate) fn into_raw_items<T>(items: Vec<T>) -> (*const T, usize) {
    if items.is_empty() {
        return (std::ptr::null(), 0);
    }
    let len = items.len();
    (
        Box::into_raw(items.into_boxed_slice())
            .cast::<T>()
            .cast_const(),
        len,
    )
}

/// Frees a list made by `into_raw_items`, dropping each item; NULL is a no-op.
pub(crate) fn free_raw_items<T>(items: *const T, len: usize) {
    if !items.is_null() {
        // SAFETY: `items` and `len` came from `into_raw_items`.
        let items = std::ptr::slice_from_raw_parts_mut(items.cast_mut(), len);
        drop(unsafe { Box::from_raw(items) });
    }
}
