//! Arbitrary bytes through the string-taking exports of the C ABI, called
//! through the `chatcore-ffi` rlib exactly as a C host calls them.
//!
//! Each string is the fuzzer's bytes (any bytes: invalid UTF-8, control
//! characters, interior NULs, which end the C string early) followed by the
//! terminating NUL that C's contract requires, or a NULL pointer. A buffer
//! without any NUL cannot be passed: `chat_*` would read past its end, as
//! any C function taking `const char *` does; that is a contract breach of
//! the caller, not something the library can detect.
//!
//! Every call must return a status (never `CHAT_ERR_INTERNAL`, which is a
//! caught panic), set `chat_last_error()` exactly when it fails, and leave
//! its out-pointer untouched on failure. Every result is freed, so the
//! leak checker of AddressSanitizer also checks the `_free` functions.
//!
//! Left out on purpose: the exports taking a file path (`chat_open`,
//! `chat_open_with`, `chat_import_django`, `chat_export_django`,
//! `chat_backup`), which would create files at fuzzer-chosen paths.

#![no_main]

use arbitrary::Arbitrary;
use chatcore_ffi::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

/// One C string argument.
#[derive(Arbitrary, Debug)]
enum CArg {
    Null,
    /// These bytes and a terminating NUL (an interior NUL ends it earlier).
    Bytes(Vec<u8>),
    /// A valid UTF-8 text, so the call gets past the UTF-8 check.
    Text(String),
}

struct Holder(Option<Vec<u8>>);

impl Holder {
    fn new(arg: &CArg) -> Holder {
        Holder(match arg {
            CArg::Null => None,
            CArg::Bytes(bytes) => Some(bytes.iter().copied().chain([0]).collect()),
            CArg::Text(text) => Some(text.bytes().chain([0]).collect()),
        })
    }

    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(ptr::null(), |b| b.as_ptr().cast())
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_text_bytes: u16,
    email: CArg,
    username: CArg,
    password: CArg,
    first_name: CArg,
    last_name: CArg,
    login_email: CArg,
    login_password: CArg,
    token: CArg,
    query: CArg,
    prefix: CArg,
    limit: u32,
    cursor: CArg,
    session_id: CArg,
    text: CArg,
}

const SENTINEL: usize = 0x5a5a;

/// Checks the status-returning contract and returns whether it succeeded.
fn checked(what: &str, status: chat_status) -> bool {
    assert_ne!(
        status,
        chat_status::ChatErrInternal,
        "{what}: a panic was caught at the boundary: {:?}",
        last_error()
    );
    let message = last_error();
    if status == chat_status::ChatOk {
        assert!(message.is_none(), "{what}: OK but last error {message:?}");
        true
    } else {
        let message = message.unwrap_or_else(|| panic!("{what}: {status:?} without a last error"));
        assert!(!message.is_empty(), "{what}: empty last error");
        false
    }
}

fn last_error() -> Option<String> {
    let ptr = chat_last_error();
    (!ptr.is_null()).then(|| {
        unsafe { CStr::from_ptr(ptr) }
            .to_str()
            .expect("chat_last_error is UTF-8")
            .to_owned()
    })
}

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn register(store: *mut chat_store, name: &str) -> i64 {
    let mut user = ptr::null_mut();
    let email = c(&format!("{name}@example.com"));
    let status = chat_register(
        store,
        email.as_ptr(),
        c(name).as_ptr(),
        c("password-123").as_ptr(),
        ptr::null(),
        ptr::null(),
        &mut user,
    );
    assert_eq!(status, chat_status::ChatOk);
    let id = unsafe { (*user).id };
    chat_user_free(user);
    id
}

fn login(store: *mut chat_store, name: &str) -> *mut chat_session {
    let mut session = ptr::null_mut();
    let email = c(&format!("{name}@example.com"));
    let status = chat_login(
        store,
        email.as_ptr(),
        c("password-123").as_ptr(),
        &mut session,
    );
    assert_eq!(status, chat_status::ChatOk);
    session
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let options = chat_options {
        insecure_fast_password_hashing_for_tests: true,
        max_text_bytes: usize::from(input.max_text_bytes),
        ..Default::default()
    };
    let mut store = ptr::null_mut();
    assert!(checked(
        "chat_open_in_memory",
        chat_open_in_memory(&options, &mut store)
    ));

    // A known pair of users with a thread, so the session-taking calls run.
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let ann_session = login(store, "ann");
    let mut thread = ptr::null_mut();
    let mut created = false;
    let pair = [ann, bob];
    assert!(checked(
        "chat_thread_create",
        chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created)
    ));
    let thread_id = unsafe { (*thread).id };
    chat_thread_free(thread);

    // chat_register with five fuzzed strings.
    let (email, username, password, first, last) = (
        Holder::new(&input.email),
        Holder::new(&input.username),
        Holder::new(&input.password),
        Holder::new(&input.first_name),
        Holder::new(&input.last_name),
    );
    let mut user = SENTINEL as *mut chat_user;
    let status = chat_register(
        store,
        email.ptr(),
        username.ptr(),
        password.ptr(),
        first.ptr(),
        last.ptr(),
        &mut user,
    );
    if checked("chat_register", status) {
        let registered = unsafe { &*user };
        assert!(registered.id > 0 && !registered.email.is_null());
        chat_user_free(user);
    } else {
        assert_eq!(
            user as usize, SENTINEL,
            "chat_register wrote its output on failure"
        );
    }

    // chat_login with fuzzed strings; on success that session is used below.
    let (login_email, login_password) = (
        Holder::new(&input.login_email),
        Holder::new(&input.login_password),
    );
    let mut session = SENTINEL as *mut chat_session;
    let status = chat_login(store, login_email.ptr(), login_password.ptr(), &mut session);
    let own_session = checked("chat_login", status);
    if own_session {
        assert!(!chat_session_token(session).is_null());
    } else {
        assert_eq!(
            session as usize, SENTINEL,
            "chat_login wrote its output on failure"
        );
        session = ann_session;
    }

    let token = Holder::new(&input.token);
    let mut resumed = SENTINEL as *mut chat_session;
    if checked(
        "chat_session_resume",
        chat_session_resume(store, token.ptr(), &mut resumed),
    ) {
        chat_session_free(resumed);
    } else {
        assert_eq!(resumed as usize, SENTINEL);
    }

    let query = Holder::new(&input.query);
    let mut found = SENTINEL as *mut chat_user;
    if checked(
        "chat_user_find",
        chat_user_find(session, query.ptr(), &mut found),
    ) {
        chat_user_free(found);
    } else {
        assert_eq!(found as usize, SENTINEL);
    }

    let prefix = Holder::new(&input.prefix);
    let mut users = SENTINEL as *mut chat_user_list;
    if checked(
        "chat_users_search",
        chat_users_search(session, prefix.ptr(), input.limit, &mut users),
    ) {
        chat_user_list_free(users);
    } else {
        assert_eq!(users as usize, SENTINEL);
    }

    let cursor = Holder::new(&input.cursor);
    let mut threads = SENTINEL as *mut chat_thread_list;
    if checked(
        "chat_threads_list",
        chat_threads_list(session, cursor.ptr(), input.limit, &mut threads),
    ) {
        chat_thread_list_free(threads);
    } else {
        assert_eq!(threads as usize, SENTINEL);
    }

    // Sent by ann into her thread with bob (the fuzzed login may be neither).
    let text = Holder::new(&input.text);
    let mut message = SENTINEL as *mut chat_message;
    if checked(
        "chat_message_send",
        chat_message_send(ann_session, thread_id, text.ptr(), &mut message),
    ) {
        let sent = unsafe { &*message };
        let stored = unsafe { CStr::from_ptr(sent.text) }.to_bytes();
        let given = unsafe { CStr::from_ptr(text.ptr()) }.to_bytes();
        assert_eq!(stored, given, "the stored text differs from the one sent");
        chat_message_free(message);
    } else {
        assert_eq!(message as usize, SENTINEL);
    }

    let session_id = Holder::new(&input.session_id);
    checked(
        "chat_session_revoke",
        chat_session_revoke(session, session_id.ptr()),
    );

    let mut report = ptr::null_mut();
    assert!(checked(
        "chat_unread_verify",
        chat_unread_verify(store, &mut report)
    ));
    assert_eq!(unsafe { (*report).len }, 0, "unread counters disagree");
    chat_unread_report_free(report);

    if own_session {
        chat_session_free(session);
    }
    chat_session_free(ann_session);
    chat_close(store);
});
