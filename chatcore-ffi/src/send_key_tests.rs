//! `chat_message_send_with_key` (issue 17, item 1): a retry returns the
//! first message with `created = false`; refusals write nothing.

use super::tests::{c, login, open_store, register};
use super::*;
use crate::test_backend::both;

/// ann and bob, their thread, logged in as ann.
struct World {
    store: *mut chat_store,
    session: *mut chat_session,
    thread: i64,
}

impl World {
    fn new() -> World {
        let store = open_store();
        let ids = [register(store, "ann"), register(store, "bob")];
        let session = login(store, "ann");
        let mut thread = ptr::null_mut();
        let status = chat_thread_create(session, ids.as_ptr(), 2, &mut thread, ptr::null_mut());
        assert_eq!(status, chat_status::ChatOk);
        let thread_id = unsafe { (*thread).id };
        chat_thread_free(thread);
        World {
            store,
            session,
            thread: thread_id,
        }
    }

    /// Sends under `key`; returns the status and (id, created_at, created).
    fn send(
        &self,
        text: *const c_char,
        key: *const c_char,
    ) -> (chat_status, Option<(i64, i64, bool)>) {
        let sentinel = 0x5a5a as *mut chat_message;
        let mut message = sentinel;
        let mut created = false;
        let status = chat_message_send_with_key(
            self.session,
            self.thread,
            text,
            key,
            &mut message,
            &mut created,
        );
        if status != chat_status::ChatOk {
            assert_eq!(message, sentinel, "outputs are written only on success");
            return (status, None);
        }
        let found = unsafe { ((*message).id, (*message).created_at, created) };
        chat_message_free(message);
        (status, Some(found))
    }

    fn stored(&self) -> usize {
        let session = unsafe { &(*self.session).session };
        session
            .list_messages(chatcore::ThreadId(self.thread), &Default::default())
            .unwrap()
            .items
            .len()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        chat_session_free(self.session);
        chat_close(self.store);
    }
}

both!(a_retry_returns_the_first_message_not_created);
fn a_retry_returns_the_first_message_not_created() {
    let w = World::new();
    let (text, key) = (c("hello"), c("k-1"));
    let (status, first) = w.send(text.as_ptr(), key.as_ptr());
    assert_eq!(status, chat_status::ChatOk);
    let (id, at, created) = first.unwrap();
    assert!(created);
    let (_, again) = w.send(text.as_ptr(), key.as_ptr());
    assert_eq!(again, Some((id, at, false)));
    // out_created may be NULL.
    let mut message = ptr::null_mut();
    let status = chat_message_send_with_key(
        w.session,
        w.thread,
        text.as_ptr(),
        key.as_ptr(),
        &mut message,
        ptr::null_mut(),
    );
    assert_eq!(status, chat_status::ChatOk);
    assert_eq!(unsafe { (*message).id }, id);
    chat_message_free(message);
    assert_eq!(w.stored(), 1);
}

both!(refusals_store_nothing);
fn refusals_store_nothing() {
    let w = World::new();
    let (text, key) = (c("hello"), c("k"));
    assert_eq!(w.send(text.as_ptr(), key.as_ptr()).0, chat_status::ChatOk);
    let other = c("hello again");
    let long = c(&"k".repeat(65));
    let bad_utf8 = [0x66u8, 0xff, 0];
    for (text, key) in [
        (other.as_ptr(), key.as_ptr()),
        (text.as_ptr(), long.as_ptr()),
        (text.as_ptr(), c("").as_ptr()),
        (text.as_ptr(), ptr::null()),
        (text.as_ptr(), bad_utf8.as_ptr().cast()),
    ] {
        assert_eq!(w.send(text, key).0, chat_status::ChatErrInvalidArgument);
    }
    assert_eq!(w.stored(), 1);
}
