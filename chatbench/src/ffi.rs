//! The C ABI (`chatcore-ffi`) driven from Rust through its `extern "C"`
//! functions, as a C host would call them: C strings in, caller-owned
//! results out, every result freed with its `chat_*_free`.

use chatcore_ffi::{
    CHAT_DEFAULT_PAGE_LIMIT, chat_close, chat_last_error, chat_login, chat_message_free,
    chat_message_list_free, chat_messages_list, chat_open_with, chat_options, chat_session,
    chat_session_free, chat_status, chat_store,
};
use std::ffi::{CStr, CString, c_char};
use std::path::Path;
use std::ptr;

type R<T> = Result<T, String>;

/// The thread's last C ABI error, as text.
fn failed(what: &str, status: chat_status) -> String {
    let message = chat_last_error();
    let detail = if message.is_null() {
        String::new()
    } else {
        // SAFETY: chat_last_error returns NULL or a NUL-terminated string
        // valid until the next call on this thread.
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    };
    format!("C ABI {what}: {status:?}: {detail}")
}

fn c_string(text: &str) -> R<CString> {
    CString::new(text).map_err(|_| format!("{text:?} contains a NUL"))
}

/// A `chat_store` opened with `chat_open_with` (zeroed options: the same
/// defaults as `Config::default()`), closed on drop.
pub struct Store {
    raw: *mut chat_store,
}

impl Store {
    pub fn open(path: &Path) -> R<Store> {
        let path = c_string(path.to_str().ok_or("the database path is not UTF-8")?)?;
        let options = chat_options::default();
        let mut raw = ptr::null_mut();
        let status = chat_open_with(path.as_ptr(), &options, &mut raw);
        if status != chat_status::ChatOk {
            return Err(failed("chat_open_with", status));
        }
        Ok(Store { raw })
    }

    pub fn login(&self, email: &str, password: &str) -> R<Session> {
        let (email, password) = (c_string(email)?, c_string(password)?);
        let mut raw = ptr::null_mut();
        let status = chat_login(self.raw, email.as_ptr(), password.as_ptr(), &mut raw);
        if status != chat_status::ChatOk {
            return Err(failed("chat_login", status));
        }
        Ok(Session { raw })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        chat_close(self.raw);
    }
}

/// A `chat_session`, freed on drop.
pub struct Session {
    raw: *mut chat_session,
}

/// What the benchmark checks of a page: its length, whether there is more,
/// and its oldest message id.
pub struct Page {
    pub len: usize,
    pub has_more: bool,
    pub first_id: Option<i64>,
}

impl Session {
    /// `chat_message_send`, then `chat_message_free`; returns the new id.
    pub fn send(&self, thread: i64, text: *const c_char) -> R<i64> {
        let mut message = ptr::null_mut();
        let status = chatcore_ffi::chat_message_send(self.raw, thread, text, &mut message);
        if status != chat_status::ChatOk {
            return Err(failed("chat_message_send", status));
        }
        // SAFETY: on CHAT_OK the out-pointer holds a valid message, ours
        // until chat_message_free.
        let id = unsafe { (*message).id };
        chat_message_free(message);
        Ok(id)
    }

    /// `chat_messages_list` with an explicit limit of 50 (the C ABI has no
    /// "not given"), then `chat_message_list_free`. `before` 0 = the newest.
    pub fn page(&self, thread: i64, before: i64) -> R<Page> {
        let mut list = ptr::null_mut();
        let status = chat_messages_list(
            self.raw,
            thread,
            before,
            0,
            CHAT_DEFAULT_PAGE_LIMIT,
            &mut list,
        );
        if status != chat_status::ChatOk {
            return Err(failed("chat_messages_list", status));
        }
        // SAFETY: on CHAT_OK the out-pointer holds a valid list whose
        // `items[0..len]` are valid, ours until chat_message_list_free.
        let page = unsafe {
            let list = &*list;
            Page {
                len: list.len,
                has_more: list.has_more,
                first_id: (list.len > 0).then(|| (*list.items).id),
            }
        };
        chat_message_list_free(list);
        Ok(page)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        chat_session_free(self.raw);
    }
}
