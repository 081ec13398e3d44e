//! Idempotent send (issue 17, item 1): `Session::send_with_key`.

mod common;

use chatcore::{Config, Error, MAX_CLIENT_KEY_BYTES, MessageQuery, SCHEMA_VERSION, Store};
use common::*;

fn history(session: &chatcore::Session, thread: chatcore::ThreadId) -> Vec<chatcore::Message> {
    session
        .list_messages(thread, &MessageQuery::default())
        .unwrap()
        .items
}

#[test]
fn the_same_key_returns_the_first_message_and_stores_nothing_more() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (first, created) = a.send_with_key(thread.id, "hello", "k-1").unwrap();
    assert!(created);
    for _ in 0..3 {
        let (again, created) = a.send_with_key(thread.id, "hello", "k-1").unwrap();
        assert!(!created);
        assert_eq!(again, first, "same id, same time, same everything");
    }
    assert_eq!(history(&b, thread.id), vec![first.clone()]);
    // The unread count does not double, and the counters stay exact.
    assert_eq!(b.unread_count().unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    // A retry after the message was read returns it as stored now.
    b.mark_read(first.id).unwrap();
    let (again, created) = a.send_with_key(thread.id, "hello", "k-1").unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);
    assert!(again.read_at.is_some());
    assert_eq!(b.unread_count().unwrap(), 0);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn a_used_key_with_another_text_or_thread_is_refused_and_changes_nothing() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (cat, _) = user(&store, "cat");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (other, _) = a.create_thread(&[ann.id, cat.id]).unwrap();
    let (first, _) = a.send_with_key(thread.id, "hello", "k").unwrap();

    let err = a.send_with_key(thread.id, "hello!", "k").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("different text")),
        "{err:?}"
    );
    let err = a.send_with_key(other.id, "hello", "k").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("thread")),
        "{err:?}"
    );
    assert_eq!(history(&a, thread.id), vec![first]);
    assert!(history(&a, other.id).is_empty());
    assert_eq!(b.unread_count().unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn keys_are_per_sender() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (from_ann, created_a) = a.send_with_key(thread.id, "same", "shared").unwrap();
    let (from_bob, created_b) = b.send_with_key(thread.id, "same", "shared").unwrap();
    assert!(created_a && created_b);
    assert_ne!(from_ann.id, from_bob.id);
    assert_eq!(from_bob.sender_id, bob.id);
    // Bob may even use Ann's key with another text.
    let err = b.send_with_key(thread.id, "other", "shared").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(history(&a, thread.id).len(), 2);
}

#[test]
fn bad_keys_are_refused_and_store_nothing() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let too_long = "k".repeat(MAX_CLIENT_KEY_BYTES + 1);
    let longest = "é".repeat(MAX_CLIENT_KEY_BYTES / 2);
    for (key, says) in [
        ("", "empty"),
        (too_long.as_str(), "65 bytes"),
        ("a\u{0}b", "U+0000"),
        ("a\nb", "U+000A"),
        ("a\u{1b}[2J", "U+001B"),
        (" key", "whitespace"),
        ("key\u{3000}", "whitespace"),
    ] {
        let err = a.send_with_key(thread.id, "hi", key).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains(says)),
            "{key:?}: {err:?}"
        );
    }
    assert!(history(&a, thread.id).is_empty());
    assert_eq!(b.unread_count().unwrap(), 0);
    // The limit is in bytes, and the longest key is accepted.
    assert_eq!(longest.len(), MAX_CLIENT_KEY_BYTES);
    assert!(a.send_with_key(thread.id, "hi", &longest).unwrap().1);
    // The text rules come first, as for send.
    let err = a.send_with_key(thread.id, " ", "fresh").unwrap_err();
    assert!(matches!(err, Error::InvalidText(_)), "{err:?}");
}

#[test]
fn unkeyed_sends_are_unaffected() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (keyed, _) = a.send_with_key(thread.id, "same", "k").unwrap();
    let one = a.send(thread.id, "same").unwrap();
    let two = a.send(thread.id, "same").unwrap();
    assert!(keyed.id < one.id && one.id < two.id);
    assert_eq!(b.unread_count().unwrap(), 3);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn a_key_survives_reopening_the_file() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (first, _) = a.send_with_key(thread.id, "kept", "k").unwrap();
    drop((a, store));
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(
        a.send_with_key(thread.id, "kept", "k").unwrap(),
        (first, false)
    );
}

/// Version 3 adds the key column and its partial unique index; a version-2
/// file is upgraded in place, keeps its messages (with no key), and ends
/// with exactly a fresh file's schema.
#[test]
fn a_version_2_file_is_upgraded_to_keyed_sends() {
    let (_dir, path, store) = file_store();
    let fresh = schema(&path);
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let old = a.send(thread.id, "from version 2").unwrap();
    drop((a, store));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&common::downgrade_to(2)).unwrap();
    drop(conn);

    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(schema(&path), fresh);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(history(&a, thread.id), vec![old]);
    let (first, created) = a.send_with_key(thread.id, "from version 3", "k").unwrap();
    assert!(created);
    assert_eq!(
        a.send_with_key(thread.id, "from version 3", "k").unwrap().0,
        first
    );
    // The index is partial: unkeyed messages are not in it.
    let indexed: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'messages_client_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        indexed.contains("WHERE client_key IS NOT NULL"),
        "{indexed}"
    );
}

fn schema(path: &std::path::Path) -> Vec<(String, String)> {
    rusqlite::Connection::open(path)
        .unwrap()
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_ndjson_export_keeps_ones_own_keys_and_the_django_export_leaves_them_out() {
    let store = store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (keyed, _) = a.send_with_key(thread.id, "keyed", "ann-key-1").unwrap();
    let plain = a.send(thread.id, "plain").unwrap();
    let (reply, _) = b.send_with_key(thread.id, "reply", "bob-key-1").unwrap();

    let lines = |session: &chatcore::Session| -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        session.export_ndjson(&mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let key_of = |lines: &[serde_json::Value], id: chatcore::MessageId| {
        let line = lines
            .iter()
            .find(|line| line["type"] == "message" && line["id"] == id.0)
            .unwrap_or_else(|| panic!("message {id} not exported"));
        line.get("client_key").cloned()
    };
    let mine = lines(&a);
    assert_eq!(key_of(&mine, keyed.id), Some("ann-key-1".into()));
    assert_eq!(key_of(&mine, plain.id), None);
    assert_eq!(key_of(&mine, reply.id), None, "bob's key is his");
    let his = lines(&b);
    assert_eq!(key_of(&his, reply.id), Some("bob-key-1".into()));
    assert_eq!(key_of(&his, keyed.id), None, "ann's key is hers");

    let mut django = Vec::new();
    store.export_django(&mut django).unwrap();
    let django = String::from_utf8(django).unwrap();
    assert!(django.contains("\"keyed\""), "the message is exported");
    assert!(!django.contains("key-1"), "{django}");
}
