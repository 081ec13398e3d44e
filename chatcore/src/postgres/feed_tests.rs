//! The PostgreSQL change feed's own properties (the behaviour tests run on
//! both backends in `tests/feed.rs`): the schema step adds an empty feed
//! to a store that had messages. Also: no SQLCipher key on PostgreSQL.

use super::tests::{Schema, downgrade_to, server};
use crate::{Config, NewUser, Store};

#[test]
fn a_store_from_before_the_feed_gets_an_empty_feed() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    let mut ids = Vec::new();
    for name in ["ann", "bob"] {
        let email = format!("{name}@example.com");
        let new = NewUser {
            email: &email,
            username: name,
            password: "password123",
            ..Default::default()
        };
        ids.push(store.register(&new).unwrap().id);
    }
    let a = store.login("ann@example.com", "password123").unwrap();
    let (thread, _) = a.create_thread(&ids).unwrap();
    a.send(thread.id, "before the feed").unwrap();
    drop((a, store));
    downgrade_to(&schema, super::schema::FEED_VERSION - 1);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(schema.version().unwrap(), super::schema::VERSION);
    let a = store.login("ann@example.com", "password123").unwrap();
    assert!(a.changes(None, None).unwrap().items.is_empty());
    let start = a.change_cursor().unwrap();
    assert_eq!(start.raw(), 0);
    let sent = a.send(thread.id, "after the feed").unwrap();
    let items = a.changes(Some(start), None).unwrap().items;
    assert_eq!(items[0].message.as_ref().unwrap(), &sent);
}

/// SQLCipher (issue 18) is SQLite's: a key given for a PostgreSQL store is
/// refused before anything is written, and so is a rekey.
#[test]
fn an_encryption_key_is_refused_for_a_postgres_store() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let key = crate::DatabaseKey::passphrase("correct horse battery").unwrap();
    let err = Store::open_with(
        schema.url(),
        Config::insecure_fast_for_tests().key(key.clone()),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
    assert_eq!(schema.version().unwrap(), 0);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    let err = store.rekey(&key).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
}
