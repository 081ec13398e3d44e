//! `Store::copy_to` SQLite → PostgreSQL → SQLite, against the server named
//! by `CHATCORE_TEST_POSTGRES_URL` (a `postgres://` URL), in a fresh schema
//! of its own that is dropped at the end. Without the variable it prints
//! one line saying it was skipped.

mod common;
mod copy_support;

use chatcore::{Config, Store};
use copy_support::{
    Source, assert_feed_goes_on, assert_lines_eq, assert_same, django, ndjson, populate,
};

#[test]
fn a_store_round_trips_sqlite_to_postgresql_to_sqlite() {
    let Some(url) = pgtest::server("the copies to and from PostgreSQL") else {
        return;
    };
    let schema = pgtest::Schema::new(&url, "chatcore_copy");
    let target = schema.url();
    let dir = tempfile::tempdir().unwrap();
    let config = Config::insecure_fast_for_tests;
    let source = populate(Store::open_with(dir.path().join("a.db"), config()).unwrap());

    let up = source.store.copy_to(target, |_| {}).unwrap();
    let server = Store::open_with(target, config()).unwrap();
    assert_same(&source, &server);

    // The schema now holds a store: a second copy into it is refused.
    let err = source.store.copy_to(target, |_| {}).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");

    let back = dir.path().join("c.db");
    let down = server.copy_to(&back, |_| {}).unwrap();
    assert_eq!(up, down);
    let local = Store::open_with(&back, config()).unwrap();
    let on_server = Source {
        store: server,
        tokens: source.tokens.clone(),
    };
    assert_same(&on_server, &local);
    // And the same as where it started.
    assert_lines_eq(&django(&source.store), &django(&local));
    for token in &source.tokens {
        assert_lines_eq(&ndjson(&source.store, token), &ndjson(&local, token));
    }
    // A follower of the feed moves up without a gap (this writes).
    assert_feed_goes_on(&source, &on_server.store);
}

#[test]
fn a_follower_of_a_postgresql_stores_feed_moves_to_a_local_copy_without_a_gap() {
    let Some(url) = pgtest::server("the copies to and from PostgreSQL") else {
        return;
    };
    let schema = pgtest::Schema::new(&url, "chatcore_copy");
    let source =
        populate(Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("copy.db");
    source.store.copy_to(&local, |_| {}).unwrap();
    let copy = Store::open_with(&local, Config::insecure_fast_for_tests()).unwrap();
    assert_same(&source, &copy);
    assert_feed_goes_on(&source, &copy);
}
