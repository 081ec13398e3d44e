//! The shape of the C API as hosts meet it (issue 13, item 11): the oldest
//! page of a thread without knowing an id, an optional `out_created`, a busy
//! timeout that does not wait, and the thread list's `has_more`.

use chatcore_ffi::*;
use std::ffi::{CStr, CString};
use std::ptr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn last_error() -> String {
    let ptr = chat_last_error();
    assert!(!ptr.is_null(), "no last error");
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

fn fast() -> chat_options {
    chat_options {
        insecure_fast_password_hashing_for_tests: true,
        ..Default::default()
    }
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
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
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
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    session
}

/// A store in memory with ann logged in; returns (store, ann's session, ann's id).
fn world() -> (*mut chat_store, *mut chat_session, i64) {
    let mut store = ptr::null_mut();
    assert_eq!(
        chat_open_in_memory(&fast(), &mut store),
        chat_status::ChatOk
    );
    let ann = register(store, "ann");
    (store, login(store, "ann"), ann)
}

/// The thread between the session's user and `other`, without asking
/// whether it was created (`out_created` NULL).
fn thread_with(session: *mut chat_session, me: i64, other: i64) -> i64 {
    let pair = [me, other];
    let mut thread = ptr::null_mut();
    let status = chat_thread_create(session, pair.as_ptr(), 2, &mut thread, ptr::null_mut());
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    let id = unsafe { (*thread).id };
    chat_thread_free(thread);
    id
}

fn page_ids(session: *mut chat_session, thread: i64, before: i64, after: i64) -> (Vec<i64>, bool) {
    let mut page = ptr::null_mut();
    let status = chat_messages_list(session, thread, before, after, 2, &mut page);
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    let list = unsafe { &*page };
    let items = if list.len == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(list.items, list.len) }
    };
    let result = (items.iter().map(|m| m.id).collect(), list.has_more);
    chat_message_list_free(page);
    result
}

#[test]
fn from_oldest_pages_a_thread_from_its_first_message() {
    let (store, ann_session, ann) = world();
    let bob = register(store, "bob");
    let thread = thread_with(ann_session, ann, bob);
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut message = ptr::null_mut();
        let text = c(&format!("message {n}"));
        let status = chat_message_send(ann_session, thread, text.as_ptr(), &mut message);
        assert_eq!(status, chat_status::ChatOk, "{}", last_error());
        ids.push(unsafe { (*message).id });
        chat_message_free(message);
    }

    // The oldest page, without knowing an id; then onwards with `after`.
    assert_eq!(
        page_ids(ann_session, thread, 0, CHAT_FROM_OLDEST),
        (ids[0..2].to_vec(), true)
    );
    assert_eq!(
        page_ids(ann_session, thread, 0, ids[1]),
        (ids[2..4].to_vec(), true)
    );
    assert_eq!(
        page_ids(ann_session, thread, 0, ids[3]),
        (ids[4..5].to_vec(), false)
    );
    // after = 0 is still "not given": the newest page.
    assert_eq!(
        page_ids(ann_session, thread, 0, 0),
        (ids[3..5].to_vec(), true)
    );

    // Other negative ids stay refused, and so does the sentinel with `before`.
    for (before, after) in [(0, -2), (CHAT_FROM_OLDEST, 0), (ids[4], CHAT_FROM_OLDEST)] {
        let mut page = ptr::null_mut();
        let status = chat_messages_list(ann_session, thread, before, after, 2, &mut page);
        assert_eq!(
            status,
            chat_status::ChatErrInvalidArgument,
            "before {before}, after {after}"
        );
        assert!(page.is_null());
    }
    chat_session_free(ann_session);
    chat_close(store);
}

#[test]
fn out_created_may_be_null_and_is_written_when_given() {
    let (store, ann_session, ann) = world();
    let bob = register(store, "bob");
    let first = thread_with(ann_session, ann, bob); // out_created NULL
    let pair = [ann, bob];
    let mut thread = ptr::null_mut();
    let mut created = true;
    let status = chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created);
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    assert!(!created, "the pair already had its thread");
    assert_eq!(unsafe { (*thread).id }, first);
    assert!(!unsafe { (*thread).other }.is_null());
    chat_thread_free(thread);
    chat_session_free(ann_session);
    chat_close(store);
}

#[test]
fn thread_list_has_more_agrees_with_next_cursor() {
    let (store, ann_session, ann) = world();
    for name in ["bob", "cat", "dan"] {
        let other = register(store, name);
        thread_with(ann_session, ann, other);
    }
    let mut cursor: Option<CString> = None;
    let mut pages = Vec::new();
    loop {
        let mut page = ptr::null_mut();
        let cursor_ptr = cursor.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        let status = chat_threads_list(ann_session, cursor_ptr, 2, &mut page);
        assert_eq!(status, chat_status::ChatOk, "{}", last_error());
        let list = unsafe { &*page };
        assert_eq!(list.has_more, !list.next_cursor.is_null());
        pages.push((list.len, list.has_more));
        cursor = (!list.next_cursor.is_null())
            .then(|| unsafe { CStr::from_ptr(list.next_cursor) }.to_owned());
        chat_thread_list_free(page);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, [(2, true), (1, false)]);
    chat_session_free(ann_session);
    chat_close(store);
}

/// Runs `register` on another thread against a database locked by another
/// connection; gives up after `patience` (so a call that waits cannot hang
/// the test). Returns the status and how long it took.
fn register_while_locked(
    options: chat_options,
    patience: Duration,
) -> Option<(chat_status, Duration)> {
    let dir = tempfile::tempdir().unwrap();
    let path = c(dir.path().join("chat.db").to_str().unwrap());
    let mut store = ptr::null_mut();
    assert_eq!(
        chat_open_with(path.as_ptr(), &options, &mut store),
        chat_status::ChatOk
    );
    let locker = rusqlite::Connection::open(dir.path().join("chat.db")).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();

    struct Handle(*mut chat_store);
    unsafe impl Send for Handle {}
    let handle = Handle(store);
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let handle = handle;
        let started = Instant::now();
        let mut user = ptr::null_mut();
        let status = chat_register(
            handle.0,
            c"zed@example.com".as_ptr(),
            c"zed".as_ptr(),
            c"password-123".as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut user,
        );
        chat_user_free(user);
        let _ = done.send((status, started.elapsed(), handle));
    });
    let outcome = result.recv_timeout(patience).ok();
    locker.execute_batch("ROLLBACK").unwrap();
    outcome.map(|(status, elapsed, handle)| {
        chat_close(handle.0);
        (status, elapsed)
    })
}

#[test]
fn busy_no_wait_fails_at_once_on_a_locked_database() {
    let options = chat_options {
        busy_timeout_ms: CHAT_BUSY_NO_WAIT,
        ..fast()
    };
    let (status, elapsed) = register_while_locked(options, Duration::from_secs(20))
        .expect("CHAT_BUSY_NO_WAIT waited for the lock (20 s and still waiting)");
    assert_eq!(status, chat_status::ChatErrBusy);
    // A generous sanity bound: the default would wait 5 s.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");

    // A small timeout still waits for it, then gives up.
    let options = chat_options {
        busy_timeout_ms: 300,
        ..fast()
    };
    let (status, elapsed) = register_while_locked(options, Duration::from_secs(20)).unwrap();
    assert_eq!(status, chat_status::ChatErrBusy);
    assert!(elapsed >= Duration::from_millis(300), "took {elapsed:?}");
}
