//! Lookups through the C ABI name exactly one account, or fail (issue 12,
//! item 4): the two wrong-account repros, each explicit form, unknown users,
//! and nothing done on ambiguity.

use super::tests::{c, last_error, login, open_store, register};
use super::*;
use crate::test_backend::both;

/// ann (1), bob (2), a user named `2` (3), a user named `l` (4); logged in as ann.
struct World {
    store: *mut chat_store,
    session: *mut chat_session,
}

impl World {
    fn new() -> World {
        let store = open_store();
        let ids: Vec<i64> = ["ann", "bob", "2", "l"]
            .iter()
            .map(|name| register(store, name))
            .collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        let session = login(store, "ann");
        World { store, session }
    }

    /// Calls `find` and returns its status and the id found (0 if none);
    /// the out-pointer must stay untouched on failure.
    fn find(
        &self,
        find: extern "C" fn(*mut chat_session, *const c_char, *mut *mut chat_user) -> chat_status,
        text: &str,
    ) -> (chat_status, i64) {
        let sentinel = 0x5a5a as *mut chat_user;
        let mut user = sentinel;
        let status = find(self.session, c(text).as_ptr(), &mut user);
        if status != chat_status::ChatOk {
            assert_eq!(user, sentinel, "outputs are written only on success");
            return (status, 0);
        }
        let id = unsafe { (*user).id };
        chat_user_free(user);
        (status, id)
    }

    fn thread_count(&self) -> usize {
        let session = unsafe { &(*self.session).session };
        session
            .list_threads(&chatcore::ThreadQuery::default())
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

both!(a_username_made_of_digits_is_ambiguous_with_that_id_and_nothing_is_done);
fn a_username_made_of_digits_is_ambiguous_with_that_id_and_nothing_is_done() {
    let w = World::new();
    // Before the fix: CHAT_OK with the user named `2` (id 3), not user 2.
    assert_eq!(
        w.find(chat_user_find, "2"),
        (chat_status::ChatErrAmbiguousUser, 0)
    );
    let message = last_error().expect("a failed call sets the last error");
    for part in ["id:2 (user 2, bob)", "username:2 (user 3, 2)"] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert_eq!(w.thread_count(), 0, "nothing was opened on ambiguity");
    // The spellings the message offers name one account each.
    assert_eq!(w.find(chat_user_find, "id:2"), (chat_status::ChatOk, 2));
    assert_eq!(
        w.find(chat_user_find, "username:2"),
        (chat_status::ChatOk, 3)
    );
}

both!(the_look_alike_key_of_an_id_never_finds_a_user);
fn the_look_alike_key_of_an_id_never_finds_a_user() {
    let w = World::new();
    // Before the fix: the user named `l` (id 4), the look-alike key of `1`.
    assert_eq!(w.find(chat_user_find, "1"), (chat_status::ChatOk, 1));
    assert_eq!(
        w.find(chat_user_find_by_username, "1"),
        (chat_status::ChatErrUserNotFound, 0)
    );
    assert_eq!(
        w.find(chat_user_find_by_username, "l"),
        (chat_status::ChatOk, 4)
    );
}

both!(each_explicit_function_names_exactly_its_account);
fn each_explicit_function_names_exactly_its_account() {
    let w = World::new();
    let ok = chat_status::ChatOk;
    let not_found = (chat_status::ChatErrUserNotFound, 0);
    assert_eq!(w.find(chat_user_find_by_username, "2"), (ok, 3));
    assert_eq!(w.find(chat_user_find_by_username, "BOB"), (ok, 2));
    assert_eq!(
        w.find(chat_user_find_by_username, "bob@example.com"),
        not_found
    );
    assert_eq!(w.find(chat_user_find_by_email, " Bob@Example.com"), (ok, 2));
    assert_eq!(w.find(chat_user_find_by_email, "2@example.com"), (ok, 3));
    assert_eq!(w.find(chat_user_find_by_email, "bob"), not_found);
    let mut user = ptr::null_mut();
    assert_eq!(chat_user_get(w.session, 2, &mut user), ok);
    assert_eq!(unsafe { (*user).id }, 2);
    chat_user_free(user);
    assert_eq!(w.find(chat_user_find, "email:l@example.com"), (ok, 4));
    assert_eq!(
        w.find(chat_user_find, "id:x"),
        (chat_status::ChatErrInvalidArgument, 0)
    );
}

both!(unknown_users_are_not_found_and_bad_arguments_refused);
fn unknown_users_are_not_found_and_bad_arguments_refused() {
    let w = World::new();
    for text in [
        "nobody",
        "99",
        "id:99",
        "username:nobody",
        "email:no@example.com",
    ] {
        assert_eq!(
            w.find(chat_user_find, text),
            (chat_status::ChatErrUserNotFound, 0),
            "{text}"
        );
    }
    for find in [chat_user_find_by_username, chat_user_find_by_email] {
        assert_eq!(
            w.find(find, "nobody"),
            (chat_status::ChatErrUserNotFound, 0)
        );
        let mut user = ptr::null_mut();
        assert_eq!(
            find(ptr::null_mut(), c("ann").as_ptr(), &mut user),
            chat_status::ChatErrInvalidArgument
        );
        assert_eq!(
            find(w.session, ptr::null(), &mut user),
            chat_status::ChatErrInvalidArgument
        );
        assert_eq!(
            find(w.session, c("ann").as_ptr(), ptr::null_mut()),
            chat_status::ChatErrInvalidArgument
        );
        let bad = [0xffu8, 0];
        assert_eq!(
            find(w.session, bad.as_ptr().cast(), &mut user),
            chat_status::ChatErrInvalidArgument
        );
        assert!(user.is_null());
    }
}
