//! Issue 17 on disk: a withdrawn message's text is gone from the database
//! file (not left in free pages), and the schema step that adds a
//! message's life upgrades an older file in place.

mod common;

use chatcore::{Config, LIFE_SCHEMA_VERSION, MessageQuery, SCHEMA_VERSION, Store};
use common::{PASSWORD, file_store, user};
use std::path::Path;

/// Whether `needle` occurs in the file at `path` (false if there is none).
fn file_contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        .unwrap_or(false)
}

fn wal_of(path: &Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal.into()
}

fn text_of_len(marker: &str, len: usize) -> String {
    let mut text = marker.to_string();
    while text.len() < len {
        text.push_str(marker);
    }
    text
}

/// Short texts live in the message's cell; long ones spill into overflow
/// pages that a withdrawal frees. Both must be zeroed.
#[test]
fn a_withdrawn_text_is_gone_from_the_file_and_the_wal() {
    for (marker, len) in [("WITHDRAWN-SECRET-7f3a", 21), ("LONG-SECRET-91c2|", 20_000)] {
        let (_dir, path, store) = file_store();
        let (ann, a) = user(&store, "ann");
        let (bob, _) = user(&store, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        let text = text_of_len(marker, len);
        a.send(thread.id, "before").unwrap();
        let secret = a.send(thread.id, &text).unwrap();
        a.send(thread.id, "after").unwrap();
        store.checkpoint().unwrap();
        // The scan can see the text while it is stored.
        assert!(file_contains(&path, marker.as_bytes()), "{marker} stored");

        a.delete_message(secret.id).unwrap();
        store.checkpoint().unwrap();
        assert!(
            !file_contains(&path, marker.as_bytes()),
            "{marker} left in the database file after a checkpoint"
        );
        // Closing the store checkpoints and removes the WAL, whose older
        // frames held the page as it was.
        drop((a, store));
        assert!(!file_contains(&path, marker.as_bytes()));
        assert!(!file_contains(&wal_of(&path), marker.as_bytes()));
        let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
        let a = store.login("ann@example.com", PASSWORD).unwrap();
        let items = a
            .list_messages(thread.id, &MessageQuery::default())
            .unwrap()
            .items;
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].text, "");
        assert!(items[1].deleted_at.is_some());
    }
}

/// An edit's old text goes the same way.
#[test]
fn an_edited_text_is_overwritten_too() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "OLD-TEXT-5d1e0b").unwrap();
    a.edit_message(sent.id, "new text").unwrap();
    store.checkpoint().unwrap();
    drop((a, store));
    assert!(!file_contains(&path, b"OLD-TEXT-5d1e0b"));
}

fn schema_of(path: &Path) -> Vec<(String, String)> {
    rusqlite::Connection::open(path)
        .unwrap()
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A file from the version before a message's life is upgraded in place:
/// its messages keep everything and have no edit or withdrawal, nobody has
/// a clear mark, and the schema ends exactly as a fresh file's.
#[test]
fn a_file_from_before_is_upgraded_in_place() {
    let (_dir, path, store) = file_store();
    let fresh = schema_of(&path);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let old = a.send(thread.id, "from before").unwrap();
    drop((a, b, store));
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(&common::downgrade_to(LIFE_SCHEMA_VERSION - 1))
        .unwrap();
    assert_ne!(schema_of(&path), fresh);

    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(schema_of(&path), fresh);
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    let b = store.login("bob@example.com", PASSWORD).unwrap();
    let items = b
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap()
        .items;
    assert_eq!(items, vec![old.clone()]);
    assert_eq!(b.unread_count().unwrap(), 1);
    a.edit_message(old.id, "edited after the upgrade").unwrap();
    b.clear_thread(thread.id).unwrap();
    assert_eq!(b.unread_count().unwrap(), 0);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
