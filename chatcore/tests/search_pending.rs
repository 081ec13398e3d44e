//! The search index kept 64 messages at a time (schema step 7): messages
//! waiting to be indexed are found by the next search, edits and deletes
//! of waiting messages are right, nothing is missing after a crash, a bulk
//! load finds exactly what sends find, and a version-6 file is upgraded.

mod common;

use chatcore::{
    BulkMessage, Config, SCHEMA_VERSION, SearchOrder, SearchQuery, Session, Store, ThreadId,
};
use common::*;
use std::path::Path;

/// The batch the SQLite backend indexes at once (`search_queue::BATCH`).
const BATCH: i64 = 64;

fn texts_in(session: &Session, text: &str, order: SearchOrder) -> Vec<String> {
    session
        .search(&SearchQuery {
            text,
            limit: Some(500),
            order,
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|hit| hit.message.text)
        .collect()
}

fn texts(session: &Session, text: &str) -> Vec<String> {
    texts_in(session, text, SearchOrder::Recent)
}

/// (the mark, the highest message id) of the file.
fn mark(path: &Path) -> (i64, i64) {
    raw(path)
        .query_row(
            "SELECT indexed_through, (SELECT coalesce(max(id), 0) FROM messages) FROM search_state",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap()
}

/// A file store with ann and bob and their thread; ann's session.
fn pair_on_file() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Store,
    Session,
    ThreadId,
) {
    let (dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    (dir, path, store, a, thread.id)
}

#[test]
fn sends_wait_to_be_indexed_and_the_next_search_finds_them() {
    let (_dir, path, store, a, thread) = pair_on_file();
    a.send(thread, "papaya at noon").unwrap();
    a.send(thread, "東京タワー papaya").unwrap();
    let (indexed, highest) = mark(&path);
    assert!(indexed < highest, "the sends wait: {indexed} < {highest}");
    assert_eq!(texts(&a, "papaya").len(), 2);
    assert_eq!(texts(&a, "京タワ"), ["東京タワー papaya"]);
    // The search indexed them: nothing waits any more.
    let (indexed, highest) = mark(&path);
    assert_eq!(indexed, highest);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn every_batch_boundary_keeps_every_message_findable_once() {
    let (_dir, path, store, a, thread) = pair_on_file();
    for n in 0..(3 * BATCH + 5) {
        a.send(thread, &format!("quince {n} ロンドン橋")).unwrap();
        let (indexed, highest) = mark(&path);
        assert!(highest - indexed < BATCH, "at most {} wait", BATCH - 1);
    }
    let (indexed, highest) = mark(&path);
    assert!(indexed > 0 && indexed < highest, "batches were indexed");
    let found = texts(&a, "quince");
    assert_eq!(found.len() as i64, 3 * BATCH + 5);
    let mut unique = found.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), found.len());
    assert_eq!(texts(&a, "ドン橋").len() as i64, 3 * BATCH + 5);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn edits_withdrawals_and_deletes_of_waiting_messages_are_right() {
    let (_dir, path, store, a, thread) = pair_on_file();
    let edited = a.send(thread, "mango first draft").unwrap();
    let withdrawn = a.send(thread, "mango to withdraw").unwrap();
    a.send(thread, "mango kept").unwrap();
    let (indexed, _) = mark(&path);
    assert!(edited.id.0 > indexed, "the message still waits");
    a.edit_message(edited.id, "lychee second draft").unwrap();
    a.delete_message(withdrawn.id).unwrap();
    assert_eq!(texts(&a, "mango"), ["mango kept"]);
    assert_eq!(texts(&a, "lychee"), ["lychee second draft"]);
    assert!(texts(&a, "draft") == ["lychee second draft"]);
    // Now indexed: the same changes go through the index.
    a.edit_message(edited.id, "pomelo third draft").unwrap();
    assert!(texts(&a, "lychee").is_empty());
    assert_eq!(texts(&a, "pomelo"), ["pomelo third draft"]);
    // A deleted thread takes its waiting and its indexed messages along.
    a.send(thread, "mango waiting at the delete").unwrap();
    a.delete_thread(thread).unwrap();
    assert!(texts(&a, "mango").is_empty());
    assert!(texts(&a, "pomelo").is_empty());
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn messages_waiting_at_a_crash_are_found_after_reopening() {
    let (_dir, path, store, a, thread) = pair_on_file();
    for n in 0..(BATCH + 10) {
        a.send(thread, &format!("kiwi {n}")).unwrap();
    }
    let waiting = mark(&path);
    assert!(waiting.0 < waiting.1);
    // A crash: the store is never dropped, so nothing runs on the way out
    // (the reliability suite kills processes for real).
    std::mem::forget((a, store));
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(mark(&path), waiting, "reopening changes nothing");
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(texts(&a, "kiwi").len() as i64, BATCH + 10);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn a_store_closed_normally_leaves_nothing_waiting() {
    let (_dir, path, store, a, thread) = pair_on_file();
    a.send(thread, "cherry one").unwrap();
    a.send(thread, "cherry two").unwrap();
    assert!(mark(&path).0 < mark(&path).1);
    drop((a, store));
    let (indexed, highest) = mark(&path);
    assert_eq!(indexed, highest);
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(store.verify_search_index().unwrap(), None);
}

#[test]
fn verify_indexes_what_waits_and_still_notices_damage() {
    let (_dir, path, store, a, thread) = pair_on_file();
    a.send(thread, "fig one").unwrap();
    assert_eq!(store.verify_search_index().unwrap(), None);
    assert_eq!(mark(&path).0, mark(&path).1, "verify indexed the send");
    // Damage below the mark: the index loses an indexed message.
    a.send(thread, "fig two").unwrap();
    assert_eq!(texts(&a, "fig").len(), 2);
    raw(&path)
        .execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('delete-all');")
        .unwrap();
    assert!(store.verify_search_index().unwrap().is_some());
    store.rebuild_search_index().unwrap();
    assert_eq!(store.verify_search_index().unwrap(), None);
    assert_eq!(texts(&a, "fig").len(), 2);
}

#[test]
fn a_row_written_at_or_below_the_mark_is_indexed_at_once() {
    let (_dir, path, store, a, thread) = pair_on_file();
    let first = a.send(thread, "plum placeholder").unwrap();
    a.send(thread, "plum other").unwrap();
    assert_eq!(texts(&a, "plum").len(), 2);
    let (indexed, _) = mark(&path);
    assert!(first.id.0 <= indexed);
    // An importer's explicit id below the mark (here: a raw writer that
    // puts a row back under its old id) is indexed by the trigger itself.
    let conn = raw(&path);
    conn.execute("DELETE FROM messages WHERE id = ?1", [first.id.0])
        .unwrap();
    conn.execute(
        "INSERT INTO messages (id, thread_id, sender_id, text, created_at)
         SELECT ?1, thread_id, sender_id, 'damson restored', created_at FROM messages
         WHERE thread_id = ?2 LIMIT 1",
        [first.id.0, thread.0],
    )
    .unwrap();
    assert_eq!(mark(&path).0, indexed, "the mark did not move");
    assert_eq!(texts(&a, "damson"), ["damson restored"]);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

/// The same conversation sent one message at a time and bulk loaded finds
/// the same hits, in the same order, with the same snippets.
#[test]
fn a_bulk_loaded_store_finds_exactly_what_a_sent_one_finds() {
    let lines: Vec<String> = (0..150)
        .map(|n| match n % 5 {
            0 => format!("meeting about the café number {n}"),
            1 => format!("東京タワーで会議 {n}"),
            2 => format!("مرحبا الاجتماع {n}"),
            3 => format!("Meet me at the CAFE, {n} 🍕"),
            _ => format!("nothing to see {n}"),
        })
        .collect();
    let sent = store();
    let (ann, a) = user(&sent, "ann");
    let (bob, _) = user(&sent, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for line in &lines {
        a.send(thread.id, line).unwrap();
    }
    let loaded = store();
    let (ann2, b) = user(&loaded, "ann");
    let (bob2, _) = user(&loaded, "bob");
    let (thread2, _) = b.create_thread(&[ann2.id, bob2.id]).unwrap();
    let now = chrono::Utc::now();
    loaded
        .bulk_load(|bulk| {
            for line in &lines {
                bulk.add_message(&BulkMessage {
                    thread_id: thread2.id,
                    sender_id: ann2.id,
                    text: line,
                    created_at: now,
                    read_at: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    let snippets = |session: &Session, text: &str, order: SearchOrder| -> Vec<String> {
        session
            .search(&SearchQuery {
                text,
                limit: Some(500),
                order,
                ..Default::default()
            })
            .unwrap()
            .items
            .into_iter()
            .map(|hit| hit.snippet)
            .collect()
    };
    for query in [
        "meet",
        "cafe",
        "京タワ",
        "الاجتماع",
        "🍕",
        "\"the cafe\"",
        "meet -number",
    ] {
        for order in [SearchOrder::Relevance, SearchOrder::Recent] {
            let want = snippets(&a, query, order);
            assert!(!want.is_empty(), "{query}");
            assert_eq!(snippets(&b, query, order), want, "{query} {order:?}");
        }
    }
    assert_eq!(sent.verify_search_index().unwrap(), None);
    assert_eq!(loaded.verify_search_index().unwrap(), None);
}

/// A version-6 file (every message indexed by the old triggers) with
/// messages is upgraded to step 7 and stays searchable; later sends wait
/// and are found.
#[test]
fn a_version_6_file_is_upgraded_and_searchable() {
    let (_dir, path, store, a, thread) = pair_on_file();
    for n in 0..10 {
        a.send(thread, &format!("apricot before {n}")).unwrap();
    }
    a.send(thread, "東京タワー apricot").unwrap();
    drop((a, store));
    raw(&path)
        .execute_batch(&common::downgrade_to(
            chatcore::SEARCH_QUEUE_SCHEMA_VERSION - 1,
        ))
        .unwrap();
    let version = |path: &Path| -> i64 {
        raw(path)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), chatcore::FEED_SCHEMA_VERSION);
    // Version 6 indexes each send at once (its own triggers).
    {
        let conn = raw(&path);
        conn.execute(
            "INSERT INTO messages (thread_id, sender_id, text, created_at)
             SELECT thread_id, sender_id, 'apricot sent at version 6', created_at
             FROM messages LIMIT 1",
            [],
        )
        .unwrap();
    }
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(version(&path), SCHEMA_VERSION);
    let (indexed, highest) = mark(&path);
    assert_eq!(indexed, highest, "a version-6 index holds every message");
    assert_eq!(store.verify_search_index().unwrap(), None);
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(texts(&a, "apricot").len(), 12);
    assert_eq!(texts(&a, "京タワ").len(), 1);
    a.send(thread, "apricot after").unwrap();
    assert!(mark(&path).0 < mark(&path).1);
    assert_eq!(texts(&a, "apricot").len(), 13);
}

/// The version-6 triggers of `common::UNDO_STEPS` test the same ranges as
/// the library.
#[test]
fn the_version_6_pattern_is_the_librarys() {
    let class: String = chatcore::search::query::NO_SPACE_RANGES
        .iter()
        .map(|(low, high)| format!("{low}-{high}"))
        .collect();
    assert_eq!(no_space_glob!(), format!("*[{class}]*"));
}

/// A search waits for another writer's lock as a send would, but not past
/// the busy timeout: then it answers from what is indexed, and the next
/// search with the lock free finds the rest.
#[test]
fn a_search_behind_a_long_write_is_busy_never_short_of_a_message() {
    let (_dir, path, store, a, thread) = pair_on_file();
    a.send(thread, "walnut indexed").unwrap();
    assert_eq!(texts(&a, "walnut").len(), 1);
    a.send(thread, "walnut waiting").unwrap();
    // As after a crash: the waiting message stays waiting.
    std::mem::forget((a, store));
    let config =
        Config::insecure_fast_for_tests().busy_timeout(std::time::Duration::from_millis(50));
    let store = Store::open_with(&path, config).unwrap();
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    let writer = raw(&path);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let err = a
        .search(&SearchQuery {
            text: "walnut",
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "busy", "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(texts(&a, "walnut").len(), 2);
    assert_eq!(store.verify_search_index().unwrap(), None);
}
