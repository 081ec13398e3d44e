//! Helpers shared by the integration tests.
#![allow(dead_code)]

mod backend;
#[allow(unused_imports)]
pub use crate::both;
#[allow(unused_imports)]
pub use backend::*;

use chatcore::{Config, NewUser, Session, Store, User};
use std::path::PathBuf;

/// An in-memory store with cheap password hashing.
pub fn store() -> Store {
    Store::open_in_memory_with(Config::insecure_fast_for_tests()).unwrap()
}

/// A file store in a fresh temp dir (kept alive by the returned guard).
pub fn file_store() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    (dir, path, store)
}

/// The `GLOB` pattern of version 6's search triggers (text with a
/// character of `chatcore::search::query::NO_SPACE_RANGES`; checked
/// against it in `search_queue.rs`).
#[macro_export]
macro_rules! no_space_glob {
    () => {
        "*[\u{0E00}-\u{0EFF}\u{1000}-\u{109F}\u{1780}-\u{17FF}\u{2E80}-\u{2FDF}\u{3040}-\u{31FF}\u{3400}-\u{4DBF}\u{4E00}-\u{9FFF}\u{F900}-\u{FAFF}\u{FF66}-\u{FF9F}\u{20000}-\u{3134F}]*"
    };
}

/// How to take a file back one schema version: `(version, SQL)` undoes
/// what `version` added, newest first. [`downgrade_to`] applies them.
pub const UNDO_STEPS: &[(i64, &str)] = &[
    (
        chatcore::SEARCH_QUEUE_SCHEMA_VERSION,
        // Index what is pending (version 6 indexes every message at once),
        // then put back version 6's triggers.
        concat!(
            "INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages
                 WHERE id > (SELECT indexed_through FROM search_state);
             INSERT INTO messages_trigram(rowid, text) SELECT id, text FROM messages
                 WHERE id > (SELECT indexed_through FROM search_state) AND text GLOB '",
            no_space_glob!(),
            "';
             DROP TABLE search_state;
             DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_delete;
             DROP TRIGGER messages_search_update;
             CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
                 INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
                 INSERT INTO messages_trigram(rowid, text)
                     SELECT new.id, new.text WHERE new.text GLOB '",
            no_space_glob!(),
            "';
             END;
             CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
                 INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
                 INSERT INTO messages_trigram(messages_trigram, rowid, text)
                     SELECT 'delete', old.id, old.text WHERE old.text GLOB '",
            no_space_glob!(),
            "';
             END;
             CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages BEGIN
                 INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
                 INSERT INTO messages_trigram(messages_trigram, rowid, text)
                     SELECT 'delete', old.id, old.text WHERE old.text GLOB '",
            no_space_glob!(),
            "';
                 INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
                 INSERT INTO messages_trigram(rowid, text)
                     SELECT new.id, new.text WHERE new.text GLOB '",
            no_space_glob!(),
            "';
             END;"
        ),
    ),
    (
        chatcore::FEED_SCHEMA_VERSION,
        "DROP TABLE changes; ALTER TABLE users DROP COLUMN changes_pruned_through;",
    ),
    (
        chatcore::SEARCH_SCHEMA_VERSION,
        "DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_delete;
         DROP TRIGGER messages_search_update; DROP TABLE messages_fts; DROP TABLE messages_trigram;",
    ),
    (
        chatcore::LIFE_SCHEMA_VERSION,
        "ALTER TABLE messages DROP COLUMN edited_at;
         ALTER TABLE messages DROP COLUMN deleted_at;
         ALTER TABLE members DROP COLUMN cleared_through_id;",
    ),
    (
        3,
        "DROP INDEX messages_client_key; ALTER TABLE messages DROP COLUMN client_key;",
    ),
];

/// SQL that takes a file of the newest schema back to the tables of
/// `version` and sets its `user_version` to it (a migration test's start).
pub fn downgrade_to(version: i64) -> String {
    let mut sql = String::new();
    for (step, undo) in UNDO_STEPS {
        if *step > version {
            sql.push_str(undo);
            sql.push('\n');
        }
    }
    sql.push_str(&format!("PRAGMA user_version = {version};"));
    sql
}

pub const PASSWORD: &str = "password123";

/// Registers `name` (email `name@example.com`) and logs in.
pub fn user(store: &Store, name: &str) -> (User, Session) {
    let email = format!("{name}@example.com");
    let user = store
        .register(&NewUser {
            email: &email,
            username: name,
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap();
    let session = store.login(&email, PASSWORD).unwrap();
    (user, session)
}

/// The project's Django fixture, `fixtures/db_dump.json`: three users in the
/// shape of the original service's test fixture, with known passwords
/// (`fixtures/README.md`).
pub fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/db_dump.json")
}

/// The fixture's users' passwords, by pk (documented in `fixtures/README.md`).
pub const FIXTURE_PASSWORDS: [(i64, &str); 3] = [
    (1, "password123"),
    (2, "testuser2-pass"),
    (3, "newuser3-pass"),
];

/// The fixture, parsed.
pub fn fixture_json() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A fixture user: email, username, first and last name.
pub struct FixtureUser {
    pub pk: i64,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

pub fn fixture_users() -> Vec<FixtureUser> {
    fixture_json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["model"] == "user.user")
        .map(|entry| {
            let fields = &entry["fields"];
            FixtureUser {
                pk: entry["pk"].as_i64().unwrap(),
                email: fields["email"].as_str().unwrap().to_string(),
                username: fields["username"].as_str().unwrap().to_string(),
                first_name: fields["first_name"].as_str().unwrap().to_string(),
                last_name: fields["last_name"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// Imports the fixture into `store` with `Store::import_django`.
/// `testlogin@example.com` keeps its Django hash (its password is
/// `password123`); the other users' passwords are set to `password123`
/// through `Store::set_password`, so that the tests need not pay for their
/// Django hashes' 216,000 rounds (`django.rs` logs in with those).
pub fn load_fixture_users(store: &Store) -> Vec<User> {
    let file = std::fs::File::open(fixture_path()).unwrap();
    let report = store.import_django(file, false).unwrap();
    let fixture = fixture_users();
    assert_eq!(report.users, fixture.len() as u64);
    for other in &fixture[1..] {
        store
            .set_password(chatcore::UserId(other.pk), PASSWORD)
            .unwrap();
    }
    let look = store.login(&fixture[1].email, PASSWORD).unwrap();
    let users: Vec<User> = fixture
        .iter()
        .map(|entry| {
            let user = look.find_user(&entry.email).unwrap();
            assert_eq!(user.id.0, entry.pk, "primary keys are kept");
            assert_eq!(user.username, entry.username);
            user
        })
        .collect();
    look.logout().unwrap();
    users
}

/// A raw connection to a store's file, for checking what is stored.
pub fn raw(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Every row of every table of the store at `location` (a file or a
/// PostgreSQL URL), as text: equal snapshots mean nothing changed.
pub fn snapshot(location: impl AsRef<std::path::Path>) -> String {
    let location = location.as_ref();
    if let chatcore::Location::Postgres(url) = chatcore::Location::parse(location) {
        return postgres_snapshot(&url);
    }
    let path = location;
    let conn = raw(path);
    let mut out = String::new();
    for table in ["users", "sessions", "threads", "members", "messages"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        out.push_str(table);
        out.push('\n');
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i).unwrap();
                out.push_str(&format!("{value:?}|"));
            }
            out.push('\n');
        }
    }
    out
}

/// [`snapshot`] of a PostgreSQL store, with its id sequences.
fn postgres_snapshot(url: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out = String::new();
    for table in ["users", "sessions", "threads", "members", "messages"] {
        out.push_str(table);
        out.push('\n');
        let rows = client
            .query(
                &format!(
                    "SELECT row_to_json(t)::text FROM (SELECT * FROM {table} ORDER BY 1, 2) t"
                ),
                &[],
            )
            .unwrap();
        for row in rows {
            out.push_str(row.get::<_, &str>(0));
            out.push('\n');
        }
    }
    out
}

/// The number of rows of `table` in the store at `location` (a file or a
/// PostgreSQL URL).
pub fn row_count(location: impl AsRef<std::path::Path>, table: &str) -> i64 {
    let location = location.as_ref();
    let sql = format!("SELECT count(*) FROM {table}");
    match chatcore::Location::parse(location) {
        chatcore::Location::Postgres(url) => postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .query_one(&sql, &[])
            .unwrap()
            .get(0),
        chatcore::Location::File(path) => raw(&path).query_row(&sql, [], |row| row.get(0)).unwrap(),
    }
}
