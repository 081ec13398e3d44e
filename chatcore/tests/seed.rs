//! The original service's eleven tests, ported to the library with their names.
//! Users come from the project's fixture (`fixtures/db_dump.json`, in the
//! shape of the original service's), imported with `Store::import_django`.

mod common;

use chatcore::{Error, MessageQuery, NewUser, ThreadQuery};
use common::*;

// --- Authentication

fn test_successful_registration(b: &TestBackend) {
    let store = b.store();
    let user = store
        .register(&NewUser {
            email: "newcomer@example.com",
            username: "newcomer",
            password: "strongpass123",
            first_name: "New",
            last_name: "Comer",
        })
        .unwrap();
    assert_eq!(user.email, "newcomer@example.com");
    assert_eq!(user.first_name, "New");
    // The service answered registration with tokens; here a login gives a session.
    let session = store
        .login("newcomer@example.com", "strongpass123")
        .unwrap();
    assert_eq!(session.user_id(), user.id);
    assert_eq!(session.token().len(), 64);
}
both!(test_successful_registration);

fn test_registration_with_existing_email(b: &TestBackend) {
    let store = b.store();
    let fixture = load_fixture_users(&store);
    let taken = &fixture[1].email; // test@example.com in the fixture
    let err = store
        .register(&NewUser {
            email: taken,
            username: "someone_else",
            password: "strongpass123",
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::EmailTaken), "{err:?}");
    assert_eq!(err.code(), "email_taken");
}
both!(test_registration_with_existing_email);

fn test_successful_login(b: &TestBackend) {
    let store = b.store();
    load_fixture_users(&store);
    // The imported Django pbkdf2_sha256 hash verifies.
    let session = store.login("testlogin@example.com", PASSWORD).unwrap();
    assert_eq!(session.me().unwrap().username, "testlogin_unique1");
    assert!(matches!(
        store.login("testlogin@example.com", "password124"),
        Err(Error::InvalidCredentials)
    ));
}
both!(test_successful_login);

// --- Threads

fn test_create_thread_with_same_participant_twice(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let err = session
        .create_thread(&[users[0].id, users[0].id])
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateParticipant), "{err:?}");
}
both!(test_create_thread_with_same_participant_twice);

fn test_create_thread_with_existing_participants(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let (first, created) = session.create_thread(&[users[0].id, users[1].id]).unwrap();
    assert!(created);
    let (again, created) = session.create_thread(&[users[1].id, users[0].id]).unwrap();
    assert!(!created);
    assert_eq!(first.id, again.id);
}
both!(test_create_thread_with_existing_participants);

fn test_create_thread_with_more_than_two_participants(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id).collect();
    let err = session.create_thread(&ids).unwrap_err();
    assert!(matches!(err, Error::WrongParticipantCount(3)), "{err:?}");
}
both!(test_create_thread_with_more_than_two_participants);

fn test_get_user_threads(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let (a, _) = session.create_thread(&[users[0].id, users[1].id]).unwrap();
    let (b, _) = session.create_thread(&[users[0].id, users[2].id]).unwrap();
    let page = session.list_threads(&ThreadQuery::default()).unwrap();
    let ids: Vec<_> = page.items.iter().map(|t| t.thread.id).collect();
    assert_eq!(ids, vec![b.id, a.id], "newest activity first");
    // The other participant sees only the thread they are in.
    let outsider = store.login(&users[1].email, PASSWORD).unwrap();
    let theirs = outsider.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(theirs.items.len(), 1);
    assert_eq!(theirs.items[0].other.id, users[0].id);
}
both!(test_get_user_threads);

fn test_delete_thread(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let (thread, _) = session.create_thread(&[users[0].id, users[1].id]).unwrap();
    session.send(thread.id, "soon gone").unwrap();
    session.delete_thread(thread.id).unwrap();
    assert!(matches!(
        session.thread(thread.id),
        Err(Error::ThreadNotFound(_))
    ));
    let other = store.login(&users[1].email, PASSWORD).unwrap();
    assert_eq!(
        other.unread_count().unwrap(),
        0,
        "its unread messages went with it"
    );
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(test_delete_thread);

// --- Messages

fn test_send_message_with_user_not_in_thread(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let session = store.login(&users[0].email, PASSWORD).unwrap();
    let (thread, _) = session.create_thread(&[users[0].id, users[1].id]).unwrap();
    let outsider = store.login(&users[2].email, PASSWORD).unwrap();
    let err = outsider.send(thread.id, "let me in").unwrap_err();
    assert!(matches!(err, Error::NotParticipant), "{err:?}");
    let page = session
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert!(page.items.is_empty(), "nothing was stored");
}
both!(test_send_message_with_user_not_in_thread);

fn test_get_unread_messages_count(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let sender = store.login(&users[0].email, PASSWORD).unwrap();
    let reader = store.login(&users[1].email, PASSWORD).unwrap();
    let (thread, _) = sender.create_thread(&[users[0].id, users[1].id]).unwrap();
    sender.send(thread.id, "one").unwrap();
    sender.send(thread.id, "two").unwrap();
    reader.send(thread.id, "a reply").unwrap();
    assert_eq!(reader.unread_count().unwrap(), 2);
    // The seed counted the user's own messages; here it never does.
    assert_eq!(sender.unread_count().unwrap(), 1);
}
both!(test_get_unread_messages_count);

fn test_mark_message_as_read(b: &TestBackend) {
    let store = b.store();
    let users = load_fixture_users(&store);
    let sender = store.login(&users[0].email, PASSWORD).unwrap();
    let reader = store.login(&users[1].email, PASSWORD).unwrap();
    let (thread, _) = sender.create_thread(&[users[0].id, users[1].id]).unwrap();
    let message = sender.send(thread.id, "read me").unwrap();
    assert!(message.read_at.is_none());
    let read = reader.mark_read(message.id).unwrap();
    assert!(read.read_at.is_some());
    assert_eq!(reader.unread_count().unwrap(), 0);
    let page = reader
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items[0].read_at, read.read_at);
}
both!(test_mark_message_as_read);
