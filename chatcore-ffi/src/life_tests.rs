//! `chat_message_edit`, `chat_message_delete`, `chat_thread_clear`
//! (issue 17): the core's answers, statuses for refusals, nothing written
//! on failure.

use super::tests::{c, login, open_store, register};
use super::*;
use crate::test_backend::both;
use std::ffi::CStr;

struct World {
    store: *mut chat_store,
    ann: *mut chat_session,
    bob: *mut chat_session,
    thread: i64,
}

impl World {
    fn new() -> World {
        let store = open_store();
        let ids = [register(store, "ann"), register(store, "bob")];
        let ann = login(store, "ann");
        let bob = login(store, "bob");
        let mut thread = ptr::null_mut();
        let status = chat_thread_create(ann, ids.as_ptr(), 2, &mut thread, ptr::null_mut());
        assert_eq!(status, chat_status::ChatOk);
        let thread_id = unsafe { (*thread).id };
        chat_thread_free(thread);
        World {
            store,
            ann,
            bob,
            thread: thread_id,
        }
    }

    fn send(&self, text: &str) -> i64 {
        let mut message = ptr::null_mut();
        let text = c(text);
        let status = chat_message_send(self.ann, self.thread, text.as_ptr(), &mut message);
        assert_eq!(status, chat_status::ChatOk);
        let id = unsafe { (*message).id };
        chat_message_free(message);
        id
    }

    fn unread(&self, session: *mut chat_session) -> u64 {
        let mut count = 0;
        assert_eq!(chat_unread_count(session, &mut count), chat_status::ChatOk);
        count
    }
}

impl Drop for World {
    fn drop(&mut self) {
        chat_session_free(self.ann);
        chat_session_free(self.bob);
        chat_close(self.store);
    }
}

both!(edit_writes_the_edited_message_and_refusals_write_nothing);
fn edit_writes_the_edited_message_and_refusals_write_nothing() {
    let world = World::new();
    let id = world.send("draft");
    let text = c("final");
    let mut message = ptr::null_mut();
    assert_eq!(
        chat_message_edit(world.ann, id, text.as_ptr(), &mut message),
        chat_status::ChatOk
    );
    let edited = unsafe { &*message };
    assert_eq!(edited.id, id);
    assert_eq!(
        unsafe { CStr::from_ptr(edited.text) }.to_str().unwrap(),
        "final"
    );
    assert!(edited.edited_at > 0);
    assert_eq!(edited.deleted_at, 0);
    chat_message_free(message);

    let sentinel = 0x5a5a as *mut chat_message;
    let mut out = sentinel;
    assert_eq!(
        chat_message_edit(world.bob, id, text.as_ptr(), &mut out),
        chat_status::ChatErrNotSender
    );
    assert_eq!(out, sentinel);
    assert_eq!(
        chat_message_edit(world.ann, 999, text.as_ptr(), &mut out),
        chat_status::ChatErrMessageNotFound
    );
    assert_eq!(
        chat_message_edit(world.ann, id, ptr::null(), &mut out),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(
        chat_message_edit(world.ann, id, text.as_ptr(), ptr::null_mut()),
        chat_status::ChatErrInvalidArgument
    );
    let empty = c(" ");
    assert_eq!(
        chat_message_edit(world.ann, id, empty.as_ptr(), &mut out),
        chat_status::ChatErrInvalidText
    );
    assert_eq!(out, sentinel);
}

both!(delete_leaves_a_tombstone_and_drops_the_unread_count);
fn delete_leaves_a_tombstone_and_drops_the_unread_count() {
    let world = World::new();
    let id = world.send("oops");
    world.send("kept");
    assert_eq!(world.unread(world.bob), 2);
    assert_eq!(
        chat_message_delete(world.bob, id, ptr::null_mut()),
        chat_status::ChatErrNotSender
    );
    let mut tomb = ptr::null_mut();
    assert_eq!(
        chat_message_delete(world.ann, id, &mut tomb),
        chat_status::ChatOk
    );
    let message = unsafe { &*tomb };
    assert_eq!(unsafe { CStr::from_ptr(message.text) }.to_bytes(), b"");
    assert!(message.deleted_at > 0);
    chat_message_free(tomb);
    assert_eq!(world.unread(world.bob), 1);
    // Again, with no output: nothing changes.
    assert_eq!(
        chat_message_delete(world.ann, id, ptr::null_mut()),
        chat_status::ChatOk
    );
    assert_eq!(world.unread(world.bob), 1);
}

both!(clear_is_for_me_alone);
fn clear_is_for_me_alone() {
    let world = World::new();
    world.send("one");
    let last = world.send("two");
    let mut through = -7;
    assert_eq!(
        chat_thread_clear(world.bob, world.thread, &mut through),
        chat_status::ChatOk
    );
    assert_eq!(through, last);
    assert_eq!(world.unread(world.bob), 0);
    assert_eq!(
        chat_thread_clear(world.bob, 4242, ptr::null_mut()),
        chat_status::ChatErrThreadNotFound
    );
    let mut list = ptr::null_mut();
    assert_eq!(
        chat_messages_list(world.ann, world.thread, 0, 0, 50, &mut list),
        chat_status::ChatOk
    );
    assert_eq!(unsafe { (*list).len }, 2);
    chat_message_list_free(list);
    assert_eq!(
        chat_messages_list(world.bob, world.thread, 0, 0, 50, &mut list),
        chat_status::ChatOk
    );
    assert_eq!(unsafe { (*list).len }, 0);
    chat_message_list_free(list);
}
