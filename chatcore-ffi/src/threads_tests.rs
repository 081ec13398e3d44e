//! Sessions and threads through the exports: a session outliving its
//! store, inbox entries, page limits, a created thread's summary.

use super::tests::{c, last_error, login, open_store, register};
use super::*;
use crate::test_backend::both;
use std::ffi::CStr;

both!(a_session_outlives_its_closed_store_and_is_shared_by_threads);
fn a_session_outlives_its_closed_store_and_is_shared_by_threads() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let ann_session = login(store, "ann");
    let bob_session = login(store, "bob");
    chat_close(store);

    let mut thread = ptr::null_mut();
    let mut created = false;
    let pair = [ann, bob];
    assert_eq!(
        chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
        chat_status::ChatOk
    );
    assert!(created);
    let thread_id = unsafe { (*thread).id };
    chat_thread_free(thread);

    struct Shared(*mut chat_session);
    unsafe impl Send for Shared {}
    unsafe impl Sync for Shared {}
    let shared = Shared(ann_session);
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let shared = &shared;
            scope.spawn(move || {
                for n in 0..5 {
                    let mut message = ptr::null_mut();
                    let text = c(&format!("worker {worker} message {n}"));
                    let status =
                        chat_message_send(shared.0, thread_id, text.as_ptr(), &mut message);
                    assert_eq!(status, chat_status::ChatOk, "{:?}", last_error());
                    chat_message_free(message);
                }
            });
        }
    });
    let mut unread = 0;
    assert_eq!(
        chat_unread_count(bob_session, &mut unread),
        chat_status::ChatOk
    );
    assert_eq!(unread, 20);
    chat_session_free(ann_session);
    chat_session_free(bob_session);
}

both!(inbox_entries_carry_the_other_user_the_last_message_and_the_cursor);
fn inbox_entries_carry_the_other_user_the_last_message_and_the_cursor() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let cid = register(store, "cid");
    let ann_session = login(store, "ann");
    for other in [bob, cid] {
        let mut thread = ptr::null_mut();
        let mut created = false;
        let pair = [ann, other];
        assert_eq!(
            chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
            chat_status::ChatOk
        );
        let mut message = ptr::null_mut();
        let text = c(&format!("hello {other}"));
        assert_eq!(
            chat_message_send(
                ann_session,
                unsafe { (*thread).id },
                text.as_ptr(),
                &mut message
            ),
            chat_status::ChatOk
        );
        chat_message_free(message);
        chat_thread_free(thread);
    }
    let mut page = ptr::null_mut();
    assert_eq!(
        chat_threads_list(ann_session, ptr::null(), 1, &mut page),
        chat_status::ChatOk
    );
    let first = unsafe { &*page };
    assert_eq!(first.len, 1);
    let entry = unsafe { &*first.items };
    let other = unsafe { &*entry.other };
    assert_eq!(other.id, cid);
    assert_eq!(
        unsafe { CStr::from_ptr(other.username) }.to_str().unwrap(),
        "cid"
    );
    let last = unsafe { &*entry.last_message };
    assert_eq!(
        unsafe { CStr::from_ptr(last.text) }.to_str().unwrap(),
        format!("hello {cid}")
    );
    assert!(!first.next_cursor.is_null());
    let mut second = ptr::null_mut();
    assert_eq!(
        chat_threads_list(ann_session, first.next_cursor, 1, &mut second),
        chat_status::ChatOk
    );
    let second_page = unsafe { &*second };
    assert_eq!(unsafe { (*(*second_page.items).other).id }, bob);
    assert!(second_page.next_cursor.is_null());
    chat_thread_list_free(page);
    chat_thread_list_free(second);
    chat_session_free(ann_session);
    chat_close(store);
}

both!(page_limits_are_the_cores_and_zero_is_refused);
fn page_limits_are_the_cores_and_zero_is_refused() {
    assert_eq!(CHAT_DEFAULT_PAGE_LIMIT, chatcore::DEFAULT_PAGE_LIMIT);
    assert_eq!(CHAT_MAX_PAGE_LIMIT, chatcore::MAX_PAGE_LIMIT);
    let store = open_store();
    register(store, "ann");
    let session = login(store, "ann");
    let mut users = ptr::null_mut();
    let prefix = c("a");
    for (limit, status) in [
        (0, chat_status::ChatErrInvalidArgument),
        (CHAT_MAX_PAGE_LIMIT + 1, chat_status::ChatErrInvalidArgument),
        (CHAT_MAX_PAGE_LIMIT, chat_status::ChatOk),
    ] {
        assert_eq!(
            chat_users_search(session, prefix.as_ptr(), limit, &mut users),
            status,
            "limit {limit}"
        );
    }
    chat_user_list_free(users);
    chat_session_free(session);
    chat_close(store);
}

both!(a_created_or_fetched_thread_carries_its_summary);
fn a_created_or_fetched_thread_carries_its_summary() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let ann_session = login(store, "ann");
    let bob_session = login(store, "bob");
    let mut thread = ptr::null_mut();
    let mut created = false;
    let pair = [ann, bob];
    assert_eq!(
        chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
        chat_status::ChatOk
    );
    let fresh = unsafe { &*thread };
    assert!(created && fresh.last_message.is_null() && fresh.unread_count == 0);
    assert_eq!(unsafe { (*fresh.other).id }, bob);
    let thread_id = fresh.id;
    chat_thread_free(thread);
    let mut message = ptr::null_mut();
    let text = c("hello");
    assert_eq!(
        chat_message_send(ann_session, thread_id, text.as_ptr(), &mut message),
        chat_status::ChatOk
    );
    chat_message_free(message);
    assert_eq!(
        chat_thread_get(bob_session, thread_id, &mut thread),
        chat_status::ChatOk
    );
    let seen = unsafe { &*thread };
    assert_eq!(unsafe { (*seen.other).id }, ann);
    assert_eq!(seen.unread_count, 1);
    assert_eq!(
        unsafe { CStr::from_ptr((*seen.last_message).text) }.to_str(),
        Ok("hello")
    );
    chat_thread_free(thread);
    chat_session_free(ann_session);
    chat_session_free(bob_session);
    chat_close(store);
}
