//! Helpers shared by the integration tests.
#![allow(dead_code)]

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

/// The seed's fixture (`shared/seed/db_dump.json`), from beside the checkout
/// (or `$CHATCORE_SEED_DIR`). Fails loudly when absent: CI always has it.
pub fn seed_fixture() -> serde_json::Value {
    let path = seed_fixture_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "the seed fixture is absent: cannot read {} ({err}). These tests need the \
             shared/ folder beside the checkout, or CHATCORE_SEED_DIR pointing at shared/seed.",
            path.display()
        )
    });
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
    seed_fixture()
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

/// The seed fixture's path: beside the checkout, or `$CHATCORE_SEED_DIR`.
pub fn seed_fixture_path() -> PathBuf {
    std::env::var_os("CHATCORE_SEED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seed"))
        .join("db_dump.json")
}

/// Imports the seed's fixture into `store` with `Store::import_django`.
/// `testlogin@example.com` keeps its Django hash (its password is
/// `password123`); the other fixture users' passwords are unknown, so they
/// are set to `password123` through `Store::set_password`.
pub fn load_fixture_users(store: &Store) -> Vec<User> {
    let file = std::fs::File::open(seed_fixture_path()).unwrap_or_else(|err| {
        panic!(
            "the seed fixture is absent: cannot read {} ({err}). These tests need the \
             shared/ folder beside the checkout, or CHATCORE_SEED_DIR pointing at shared/seed.",
            seed_fixture_path().display()
        )
    });
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

/// Every row of every table, as text: equal snapshots mean nothing changed.
pub fn snapshot(path: &std::path::Path) -> String {
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
