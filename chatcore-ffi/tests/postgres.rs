//! `chat_open` / `chat_open_with` with a PostgreSQL URL: the same calls
//! work on a PostgreSQL store. Runs against the server named by
//! `CHATCORE_TEST_POSTGRES_URL`; without it, says it was skipped.

use chatcore_ffi::*;
use std::ffi::{CStr, CString};
use std::ptr;

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn last_error() -> String {
    let ptr = chat_last_error();
    if ptr.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

fn register_and_login(store: *mut chat_store, name: &str) -> (i64, *mut chat_session) {
    let email = c(&format!("{name}@example.com"));
    let mut user = ptr::null_mut();
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
    let mut session = ptr::null_mut();
    let status = chat_login(
        store,
        email.as_ptr(),
        c("password-123").as_ptr(),
        &mut session,
    );
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    (id, session)
}

#[test]
fn chat_open_with_a_postgres_url_works_like_a_file() {
    let Some(server) = pgtest::server("the C ABI on PostgreSQL") else {
        return;
    };
    let schema = pgtest::Schema::new(&server, "chatffi_test");
    let url = schema.url();

    let options = chat_options {
        insecure_fast_password_hashing_for_tests: true,
        ..Default::default()
    };
    let mut store = ptr::null_mut();
    let status = chat_open_with(c(url).as_ptr(), &options, &mut store);
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    let (ann, a) = register_and_login(store, "ann");
    let (bob, b) = register_and_login(store, "bob");
    let mut thread = ptr::null_mut();
    let status = chat_thread_create(a, [ann, bob].as_ptr(), 2, &mut thread, ptr::null_mut());
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    let thread_id = unsafe { (*thread).id };
    chat_thread_free(thread);
    let mut message = ptr::null_mut();
    let status = chat_message_send(
        a,
        thread_id,
        c("hello over the wire").as_ptr(),
        &mut message,
    );
    assert_eq!(status, chat_status::ChatOk, "{}", last_error());
    chat_message_free(message);

    // A second handle, as another process would open it, sees it at once.
    let mut other = ptr::null_mut();
    assert_eq!(
        chat_open(c(url).as_ptr(), &mut other),
        chat_status::ChatOk,
        "{}",
        last_error()
    );
    let mut count = 0;
    assert_eq!(chat_unread_count(b, &mut count), chat_status::ChatOk);
    assert_eq!(count, 1);

    // A wrong server is a storage error, with a message.
    let mut nothing = ptr::null_mut();
    let status = chat_open(
        c("postgresql://nobody@127.0.0.1:1/none").as_ptr(),
        &mut nothing,
    );
    assert_eq!(status, chat_status::ChatErrStorage);
    assert!(last_error().contains("cannot connect"), "{}", last_error());

    chat_session_free(a);
    chat_session_free(b);
    chat_close(other);
    chat_close(store);
}
