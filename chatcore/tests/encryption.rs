//! Encryption at rest (SQLCipher): keys round-trip, a wrong, missing or
//! unneeded key is `wrong_key` and changes nothing, rekey, encrypted and
//! plain copies, and no plaintext beside the file.

mod common;

use chatcore::{Config, DatabaseKey, NewUser, Store};
use common::{PASSWORD, user};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn raw_key(byte: u8) -> DatabaseKey {
    DatabaseKey::Raw([byte; 32])
}

fn keyed(key: &DatabaseKey) -> Config {
    Config::insecure_fast_for_tests().key(key.clone())
}

fn open_keyed(path: &Path, key: &DatabaseKey) -> chatcore::Result<Store> {
    Store::open_with(path, keyed(key))
}

fn open_plain(path: &Path) -> chatcore::Result<Store> {
    Store::open_with(path, Config::insecure_fast_for_tests())
}

/// Every file in `dir` with its length and a hash of its bytes: what
/// "untouched" compares.
fn files_in(dir: &Path) -> BTreeMap<PathBuf, (usize, u64)> {
    use std::hash::{Hash, Hasher};
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (path, (bytes.len(), hasher.finish()))
        })
        .collect()
}

/// A store at `path` with ann and bob and one message, closed again.
fn filled(path: &Path, config: Config) {
    let store =
        Store::open_with(path, config).unwrap_or_else(|err| panic!("{} ({})", err, err.code()));
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "the secret plan").unwrap();
}

fn first_text(store: &Store) -> String {
    let ann = store.login("ann@example.com", PASSWORD).unwrap();
    let threads = ann.list_threads(&Default::default()).unwrap();
    let page = ann
        .list_messages(threads.items[0].thread.id, &Default::default())
        .unwrap();
    page.items[0].text.clone()
}

#[test]
fn a_store_opened_with_a_raw_key_or_a_passphrase_reopens_with_it() {
    for key in [
        raw_key(7),
        DatabaseKey::passphrase("correct horse battery staple").unwrap(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.db");
        filled(&path, keyed(&key));
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "{key:?}: the header is plain"
        );
        let store = open_keyed(&path, &key).unwrap();
        assert!(store.is_encrypted());
        assert_eq!(first_text(&store), "the secret plan");
    }
}

#[test]
fn a_wrong_key_no_key_or_an_unneeded_key_is_wrong_key_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.db");
    let plain = dir.path().join("plain.db");
    filled(&secret, keyed(&raw_key(1)));
    filled(&plain, Config::insecure_fast_for_tests());
    let before = files_in(dir.path());
    assert_eq!(
        before.len(),
        2,
        "a clean close leaves no -wal or -shm: {before:?}"
    );

    let cases: [(&str, chatcore::Result<Store>); 4] = [
        ("wrong raw key", open_keyed(&secret, &raw_key(2))),
        (
            "wrong passphrase",
            open_keyed(&secret, &DatabaseKey::passphrase("guess").unwrap()),
        ),
        ("no key", open_plain(&secret)),
        ("key on a plain file", open_keyed(&plain, &raw_key(1))),
    ];
    for (case, result) in cases {
        let err = result.unwrap_err();
        assert_eq!(err.code(), "wrong_key", "{case}: {err}");
        let message = err.to_string();
        assert!(message.contains("left untouched"), "{case}: {message}");
        assert!(!message.contains("0101"), "{case}: the key is in {message}");
    }
    assert_eq!(
        files_in(dir.path()),
        before,
        "a file changed, or a -wal/-shm appeared"
    );
    // And the right keys still open them.
    assert_eq!(
        first_text(&open_keyed(&secret, &raw_key(1)).unwrap()),
        "the secret plan"
    );
    assert_eq!(first_text(&open_plain(&plain).unwrap()), "the secret plan");
}

#[test]
fn a_wrong_key_is_refused_while_another_process_has_the_store_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open.db");
    filled(&path, keyed(&raw_key(3)));
    let store = open_keyed(&path, &raw_key(3)).unwrap();
    let (_, a) = (0, store.login("ann@example.com", PASSWORD).unwrap());
    let threads = a.list_threads(&Default::default()).unwrap();
    a.send(threads.items[0].thread.id, "in the wal").unwrap();
    let before = files_in(dir.path());
    let err = open_keyed(&path, &raw_key(4)).unwrap_err();
    assert_eq!(err.code(), "wrong_key");
    // The file and its WAL are unchanged. The `-shm` keeps its size; its
    // reader slots (which WAL snapshot each reader uses, no data) change
    // as they do for any reader of a WAL database.
    let after = files_in(dir.path());
    assert_eq!(after.len(), before.len());
    for (file, (len, hash)) in &before {
        let (after_len, after_hash) = after[file];
        assert_eq!(after_len, *len, "{}", file.display());
        if !file.to_string_lossy().ends_with("-shm") {
            assert_eq!(after_hash, *hash, "{} changed", file.display());
        }
    }
}

#[test]
fn unusable_keys_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.db");
    let bad = DatabaseKey::Passphrase(String::new());
    let err = open_keyed(&path, &bad).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn rekey_changes_the_key_of_an_open_store_which_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rekey.db");
    let store = open_keyed(&path, &raw_key(1)).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for i in 0..300 {
        a.send(thread.id, &format!("before {i}")).unwrap();
    }
    let new_key = DatabaseKey::passphrase("a new passphrase").unwrap();
    store.rekey(&new_key).unwrap();
    // The same store and sessions go on, on connections with the new key.
    for i in 0..300 {
        b.send(thread.id, &format!("after {i}")).unwrap();
    }
    assert_eq!(a.unread_count().unwrap(), 300);
    store.checkpoint().unwrap();
    drop((a, b, store));

    assert_eq!(
        open_keyed(&path, &raw_key(1)).unwrap_err().code(),
        "wrong_key"
    );
    let store = open_keyed(&path, &new_key).unwrap();
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(a.unread_count().unwrap(), 300);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn rekey_refuses_a_plain_or_in_memory_store_and_changes_nothing() {
    let (_dir, _path, store) = common::file_store();
    let err = store.rekey(&raw_key(1)).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
    assert!(err.to_string().contains("backup"), "{err}");
    assert!(!store.is_encrypted());
    let err = common::store().rekey(&raw_key(1)).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn plain_to_encrypted_to_plain_copies_keep_the_export_identical() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.db");
    filled(&plain, Config::insecure_fast_for_tests());
    let export = |store: &Store| {
        let ann = store.login("ann@example.com", PASSWORD).unwrap();
        let mut out = Vec::new();
        ann.export_ndjson(&mut out).unwrap();
        out
    };
    let original = open_plain(&plain).unwrap();
    let key = DatabaseKey::passphrase("moving to encryption").unwrap();
    let secret = dir.path().join("secret.db");
    original.backup_with_key(&secret, Some(&key)).unwrap();
    assert!(
        !std::fs::read(&secret)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    assert_eq!(open_plain(&secret).unwrap_err().code(), "wrong_key");
    let encrypted = open_keyed(&secret, &key).unwrap();

    // An encrypted store's own backup keeps its key.
    let same_key = dir.path().join("same-key.db");
    encrypted.backup(&same_key).unwrap();
    assert_eq!(open_plain(&same_key).unwrap_err().code(), "wrong_key");
    let same = open_keyed(&same_key, &key).unwrap();

    let back = dir.path().join("back.db");
    encrypted.backup_with_key(&back, None).unwrap();
    assert!(
        std::fs::read(&back)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    let back = open_plain(&back).unwrap();

    let expected = export(&original);
    assert!(!expected.is_empty());
    assert_eq!(export(&encrypted), expected);
    assert_eq!(export(&same), expected);
    assert_eq!(export(&back), expected);
    // New rows continue the ids (sqlite_sequence was copied).
    let ann = back.login("ann@example.com", PASSWORD).unwrap();
    let thread = ann.list_threads(&Default::default()).unwrap().items[0]
        .thread
        .id;
    assert_eq!(ann.send(thread, "next").unwrap().id.0, 2);
}

#[test]
fn a_backup_never_replaces_a_file_and_refuses_a_bad_key() {
    let (dir, _path, store) = common::file_store();
    let target = dir.path().join("exists.db");
    std::fs::write(&target, b"keep me").unwrap();
    let err = store
        .backup_with_key(&target, Some(&raw_key(1)))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    let fresh = dir.path().join("fresh.db");
    let err = store
        .backup_with_key(&fresh, Some(&DatabaseKey::Passphrase("x'00'".into())))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(!fresh.exists());
}

/// Needles: every message text holds "zqsecret", every username "leaker",
/// every email "leakmail".
const NEEDLES: [&[u8]; 3] = [b"zqsecret", b"leaker", b"leakmail"];

fn found_in(path: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    NEEDLES
        .iter()
        .filter(|needle| bytes.windows(needle.len()).any(|w| w == **needle))
        .map(|needle| format!("{} in {}", String::from_utf8_lossy(needle), path.display()))
        .collect()
}

fn scan(path: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        found.extend(found_in(Path::new(&name)));
    }
    found
}

/// Writes 1,000 known texts, 40 usernames and emails; returns what the scan
/// found while the store was open and after it closed.
fn leak_scan(config: Config) -> (Vec<String>, Vec<String>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leak.db");
    let store = Store::open_with(&path, config).unwrap();
    let mut sessions = Vec::new();
    for i in 0..40 {
        let email = format!("leakmail{i}@example.com");
        let username = format!("leaker{i}");
        let user = store
            .register(&NewUser {
                email: &email,
                username: &username,
                password: PASSWORD,
                ..Default::default()
            })
            .unwrap();
        sessions.push((user, store.login(&email, PASSWORD).unwrap()));
    }
    for i in 0..1000 {
        let (from, session) = &sessions[i % 40];
        let (to, _) = &sessions[(i + 1) % 40];
        let (thread, _) = session.create_thread(&[from.id, to.id]).unwrap();
        session
            .send(thread.id, &format!("zqsecret message number {i}"))
            .unwrap();
    }
    let wal_exists = Path::new(&format!("{}-wal", path.display())).exists();
    let while_open = scan(&path);
    drop((sessions, store));
    (while_open, scan(&path), wal_exists)
}

#[test]
fn no_plaintext_in_the_file_its_wal_or_its_shm_while_open_or_after_close() {
    let (while_open, after_close, wal_exists) = leak_scan(keyed(&raw_key(9)));
    assert!(
        wal_exists,
        "the scan must see a WAL while the store is open"
    );
    assert!(
        while_open.is_empty(),
        "plaintext while open: {while_open:?}"
    );
    assert!(
        after_close.is_empty(),
        "plaintext after close: {after_close:?}"
    );
    // The same scan finds them in a plain store: it can fail.
    let (plain_open, plain_closed, _) = leak_scan(Config::insecure_fast_for_tests());
    for needle in NEEDLES {
        let needle = String::from_utf8_lossy(needle);
        assert!(
            plain_open
                .iter()
                .chain(&plain_closed)
                .any(|found| found.starts_with(&*needle)),
            "the scan missed {needle} in a plain store: {plain_open:?} {plain_closed:?}"
        );
    }
}
