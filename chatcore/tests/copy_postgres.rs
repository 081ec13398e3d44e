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

/// The schema the test made, dropped when the test ends (also on failure).
struct Schema {
    client: postgres::Client,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// `url` with the connection option that makes `schema` the only one on
/// the search path (how stores share a server, and tests isolate).
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

fn fresh_schema(url: &str) -> Schema {
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|err| panic!("cannot connect to CHATCORE_TEST_POSTGRES_URL: {err}"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("chatcore_copy_{}_{nanos}", std::process::id());
    client
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .unwrap();
    Schema { client, name }
}

#[test]
fn a_store_round_trips_sqlite_to_postgresql_to_sqlite() {
    let Ok(url) = std::env::var("CHATCORE_TEST_POSTGRES_URL") else {
        // Straight to stderr, which the test harness does not capture, so
        // the line shows in every run.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the SQLite -> PostgreSQL -> SQLite copy (set CHATCORE_TEST_POSTGRES_URL)"
        );
        return;
    };
    let schema = fresh_schema(&url);
    let target = with_search_path(&url, &schema.name);
    let dir = tempfile::tempdir().unwrap();
    let config = Config::insecure_fast_for_tests;
    let source = populate(Store::open_with(dir.path().join("a.db"), config()).unwrap());

    let up = source.store.copy_to(&target, |_| {}).unwrap();
    let server = Store::open_with(&target, config()).unwrap();
    assert_same(&source, &server);

    // The schema now holds a store: a second copy into it is refused.
    let err = source.store.copy_to(&target, |_| {}).unwrap_err();
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
    let Ok(url) = std::env::var("CHATCORE_TEST_POSTGRES_URL") else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the PostgreSQL -> SQLite copy of the feed (set CHATCORE_TEST_POSTGRES_URL)"
        );
        return;
    };
    let schema = fresh_schema(&url);
    let server = with_search_path(&url, &schema.name);
    let source = populate(Store::open_with(&server, Config::insecure_fast_for_tests()).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("copy.db");
    source.store.copy_to(&local, |_| {}).unwrap();
    let copy = Store::open_with(&local, Config::insecure_fast_for_tests()).unwrap();
    assert_same(&source, &copy);
    assert_feed_goes_on(&source, &copy);
}
