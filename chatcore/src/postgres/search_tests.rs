//! The PostgreSQL search index's own properties (the behaviour tests run
//! on both backends in `tests/search.rs`): the schema step fills the index
//! of messages already stored, and a damaged index is noticed and rebuilt.

use super::tests::{Schema, downgrade_to, server};
use crate::{Config, NewUser, SearchQuery, Session, Store};

fn texts(session: &Session, text: &str) -> usize {
    session
        .search(&SearchQuery {
            text,
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
}

fn pair(store: &Store) -> Session {
    let mut ids = Vec::new();
    for name in ["ann", "bob"] {
        let email = format!("{name}@example.com");
        let user = store
            .register(&NewUser {
                email: &email,
                username: name,
                password: "password123",
                ..Default::default()
            })
            .unwrap();
        ids.push(user.id);
    }
    let session = store.login("ann@example.com", "password123").unwrap();
    let (thread, _) = session.create_thread(&ids).unwrap();
    session.send(thread.id, "guava from before").unwrap();
    session.send(thread.id, "東京タワー from before").unwrap();
    session
}

#[test]
fn the_search_step_indexes_the_messages_already_stored() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    drop(pair(&store));
    drop(store);
    // Back to the version before search, its messages unindexed.
    downgrade_to(&schema, super::schema::SEARCH_VERSION - 1);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(schema.version().unwrap(), super::schema::VERSION);
    let session = store.login("ann@example.com", "password123").unwrap();
    assert_eq!(texts(&session, "guava"), 1);
    assert_eq!(texts(&session, "京タワ"), 1);
    assert_eq!(texts(&session, "before"), 2);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn a_damaged_index_is_noticed_and_rebuilt() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    let session = pair(&store);
    assert_eq!(store.verify_search_index().unwrap(), None);
    for damage in [
        "UPDATE messages SET search_words = NULL, search_folded = NULL, search_trigrams = NULL",
        "UPDATE messages SET search_words = to_tsvector('simple', 'other words')",
        "UPDATE messages SET search_trigrams = NULL WHERE search_trigrams IS NOT NULL",
    ] {
        schema.client().batch_execute(damage).unwrap();
        assert!(store.verify_search_index().unwrap().is_some(), "{damage}");
        assert_eq!(store.rebuild_search_index().unwrap(), 2);
        assert_eq!(store.verify_search_index().unwrap(), None);
        assert_eq!(texts(&session, "guava"), 1);
        assert_eq!(texts(&session, "京タワ"), 1);
    }
}
