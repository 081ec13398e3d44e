//! The file: schema versions, foreign files, permissions, query plans.

mod common;

use chatcore::{Config, Error, SCHEMA_VERSION, Store};
use common::*;

#[test]
fn a_file_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = raw(&path);
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found: 99, supported } if supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(err.code(), "schema_too_new");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "not one byte changed"
    );
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    raw(&path)
        .execute_batch("CREATE TABLE notes (body TEXT);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "not one byte changed"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_a_clear_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("not a chatcore database"), "{err}");
}

#[test]
fn reopening_keeps_everything_and_does_not_migrate_again() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "kept").unwrap();
    let token = a.token().to_string();
    drop((a, store));
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let a = store.resume(&token).unwrap();
    let page = a.list_messages(thread.id, &Default::default()).unwrap();
    assert_eq!(page.items[0].text, "kept");
    let version: i64 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[cfg(unix)]
#[test]
fn a_new_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path, store) = file_store();
    user(&store, "ann"); // writes, so the WAL files exist
    for file in [
        path.clone(),
        path.with_extension("db-wal"),
        path.with_extension("db-shm"),
    ] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[test]
fn the_file_uses_wal_and_foreign_keys() {
    let (_dir, path, _store) = file_store();
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let violations: i64 = raw(&path)
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
}

fn schema_of(path: &std::path::Path) -> Vec<(String, String)> {
    raw(path)
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Version 2 recomputes username keys; a version-1 file is upgraded in
/// place, keeps every row, and ends with exactly a fresh file's schema.
#[test]
fn a_version_1_file_is_upgraded_and_keeps_everything() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "Mary");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "kept").unwrap();
    drop((a, store));
    // Make it a version-1 file: keys as version 1 computed them.
    raw(&path)
        .execute_batch(&format!(
            "UPDATE users SET username_key = lower(username); {}",
            common::downgrade_to(1)
        ))
        .unwrap();
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let version: i64 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let err = store
        .register(&chatcore::NewUser {
            email: "r@example.com",
            username: "rnary",
            password: "password123",
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::UsernameTaken),
        "the recomputed key of Mary catches rnary: {err:?}"
    );
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(
        a.list_messages(thread.id, &Default::default())
            .unwrap()
            .items[0]
            .text,
        "kept"
    );

    let (_fresh_dir, fresh, _fresh_store) = file_store();
    assert_eq!(schema_of(&path), schema_of(&fresh));
}
