//! A passphrase's key is derived once per open and handed to the store's
//! other connections in SQLCipher's raw key form (`sqlite/keyspec.rs`):
//! the file stays SQLCipher 4's own (tested against bare SQLCipher both
//! ways), every connection reads, writes and checkpoints with the derived
//! key, a wrong passphrase is still `wrong_key` with no byte changed and
//! no key shown, and a rekey reaches every connection.

mod common;

use chatcore::{Checkpoints, Config, DatabaseKey, Store};
use common::{PASSWORD, user};
use std::path::Path;
use std::time::Duration;

fn keyed(key: &DatabaseKey) -> Config {
    Config::insecure_fast_for_tests().key(key.clone())
}

fn passphrase(text: &str) -> DatabaseKey {
    DatabaseKey::passphrase(text).unwrap()
}

/// A bare SQLCipher connection keyed with `key_sql` (the text after
/// `PRAGMA key =`), SQLCipher's default settings otherwise.
fn bare(path: &Path, key_sql: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = {key_sql}"))
        .unwrap();
    conn
}

fn message_count(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM messages", [], |row| row.get(0))
}

/// `PBKDF2-HMAC-SHA512(passphrase, salt, 256000)`, the key SQLCipher 4
/// derives, in hex: what must never show in an error.
fn derived_hex(passphrase: &str, salt: &[u8]) -> String {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(passphrase.as_bytes(), salt, 256_000, &mut key);
    key.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The first 16 bytes of the file: SQLCipher's salt.
fn salt_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()[..16].to_vec()
}

#[test]
fn a_passphrase_store_is_sqlciphers_own_file_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both-ways.db");
    {
        let store = Store::open_with(&path, keyed(&passphrase("it's our secret"))).unwrap();
        let (ann, a) = user(&store, "ann");
        let (bob, _) = user(&store, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "made by chatcore").unwrap();
    }
    // Bare SQLCipher, with nothing but the passphrase, reads chatcore's file
    // (the quote in the passphrase doubled as SQL wants it).
    let conn = bare(&path, "'it''s our secret'");
    assert_eq!(message_count(&conn).unwrap(), 1);
    // And SQLCipher's own derivation, by its rekey, gives a file chatcore
    // opens with the passphrase: the two derivations agree.
    conn.execute_batch("PRAGMA rekey = 'set by SQLCipher'")
        .unwrap();
    drop(conn);
    let store = Store::open_with(&path, keyed(&passphrase("set by SQLCipher"))).unwrap();
    let ann = store.login("ann@example.com", PASSWORD).unwrap();
    let threads = ann.list_threads(&Default::default()).unwrap();
    assert_eq!(threads.items.len(), 1);
    let err = Store::open_with(&path, keyed(&passphrase("it's our secret"))).unwrap_err();
    assert_eq!(err.code(), "wrong_key", "{err}");
}

#[test]
fn every_connection_of_a_passphrase_store_reads_writes_and_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("connections.db");
    let key = passphrase("many connections, one derivation");
    let store = Store::open_with(&path, keyed(&key).checkpoints(Checkpoints::Background)).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let thread = a.create_thread(&[ann.id, bob.id]).unwrap().0.id;
    // The change watcher (its own connection, keyed like the others)
    // starts with the first wait, which ends when bob has an entry.
    let waiter = {
        let b = b.clone();
        std::thread::spawn(move || b.wait_for_changes(None, Duration::from_secs(20)))
    };
    // Writers and readers at once: the pool opens more connections, all
    // keyed with the derived key; enough pages for background checkpoints.
    std::thread::scope(|scope| {
        for writer in 0..2 {
            let a = a.clone();
            scope.spawn(move || {
                for i in 0..150 {
                    a.send(thread, &format!("writer {writer} message {i}"))
                        .unwrap();
                }
            });
        }
        for _ in 0..3 {
            let b = b.clone();
            scope.spawn(move || {
                for _ in 0..60 {
                    b.list_messages(thread, &Default::default()).unwrap();
                    b.unread_count().unwrap();
                }
            });
        }
    });
    assert!(waiter.join().unwrap().unwrap(), "the wait found no entry");
    store.checkpoint().unwrap();
    assert_eq!(b.unread_count().unwrap(), 300);
    // A second store on the same file (another process's view) reads it.
    let other = Store::open_with(&path, keyed(&key)).unwrap();
    let bob_there = other.login("bob@example.com", PASSWORD).unwrap();
    assert_eq!(bob_there.unread_count().unwrap(), 300);
    drop((a, b, bob_there, other, store));
    let conn = bare(&path, "'many connections, one derivation'");
    assert_eq!(message_count(&conn).unwrap(), 300);
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_wrong_passphrase_is_wrong_key_shows_no_key_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.db");
    let right = "the right passphrase";
    {
        let store = Store::open_with(&path, keyed(&passphrase(right))).unwrap();
        user(&store, "ann");
    }
    let before = std::fs::read(&path).unwrap();
    let salt = salt_of(&path);
    let wrong = "a wrong passphrase";
    let err = Store::open_with(&path, keyed(&passphrase(wrong))).unwrap_err();
    assert_eq!(err.code(), "wrong_key", "{err}");
    let shown = format!("{err} {err:?} {:?}", keyed(&passphrase(wrong)));
    for secret in [
        right.to_string(),
        wrong.to_string(),
        derived_hex(right, &salt),
        derived_hex(wrong, &salt),
        derived_hex(wrong, &salt)[..16].to_string(),
    ] {
        assert!(!shown.contains(&secret), "{secret} is in {shown}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "a -wal or -shm appeared");
    // The right one still opens it, and shows no key either.
    let store = Store::open_with(&path, keyed(&passphrase(right))).unwrap();
    let shown = format!("{store:?}");
    assert!(!shown.contains(&derived_hex(right, &salt)[..16]), "{shown}");
}

#[test]
fn rekey_between_passphrases_and_raw_keys_reaches_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rekey.db");
    let first = passphrase("first passphrase");
    let store = Store::open_with(&path, keyed(&first)).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let salt = salt_of(&path);
    let busy = |count: usize| {
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let (a, b) = (a.clone(), b.clone());
                scope.spawn(move || {
                    for i in 0..count {
                        a.send(thread.id, &format!("message {i}")).unwrap();
                        b.list_messages(thread.id, &Default::default()).unwrap();
                    }
                });
            }
        });
    };
    busy(20);
    let second = passphrase("second passphrase");
    store.rekey(&second).unwrap();
    busy(20);
    store.checkpoint().unwrap();
    // SQLCipher's rekey keeps the salt; the passphrase alone opens the file
    // in bare SQLCipher.
    assert_eq!(salt_of(&path), salt);
    assert_eq!(
        message_count(&bare(&path, "'second passphrase'")).unwrap(),
        120
    );
    let raw = DatabaseKey::Raw([0x5c; 32]);
    store.rekey(&raw).unwrap();
    busy(10);
    store.rekey(&first).unwrap();
    busy(10);
    assert_eq!(b.unread_count().unwrap(), 180);
    drop((a, b, store));
    for old in [&second, &raw] {
        let err = Store::open_with(&path, keyed(old)).unwrap_err();
        assert_eq!(err.code(), "wrong_key", "{old:?}: {err}");
    }
    let store = Store::open_with(&path, keyed(&first)).unwrap();
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn new_passphrase_stores_get_their_own_random_salt() {
    let dir = tempfile::tempdir().unwrap();
    let key = passphrase("the same passphrase");
    let salts: Vec<Vec<u8>> = ["one.db", "two.db"]
        .iter()
        .map(|name| {
            let path = dir.path().join(name);
            drop(Store::open_with(&path, keyed(&key)).unwrap());
            // Reopens with the passphrase alone (the salt read back).
            drop(Store::open_with(&path, keyed(&key)).unwrap());
            salt_of(&path)
        })
        .collect();
    assert_ne!(salts[0], salts[1]);
    assert_ne!(salts[0], b"SQLite format 3\0".to_vec());
}
