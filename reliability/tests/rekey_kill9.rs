//! Guarantee: a process killed with SIGKILL at any instant of a rekey
//! leaves a file that opens with the old key or the new one (nothing else),
//! passes `integrity_check`, and holds every message whose `send` returned.
//!
//! `RELIABILITY_REKEY_KILLS` sets the number of kills (`cargo test`: 6;
//! CI: 50).

use chatcore::{MessageQuery, Store};
use chatcore_reliability::{Rng, config, grouped, kill_after, pair, rekey_key, size};
use std::path::Path;
use std::time::{Duration, Instant};

fn opens(path: &Path, key: u64) -> Option<Store> {
    match Store::open_with(path, config().key(rekey_key(key))) {
        Ok(store) => Some(store),
        Err(err) => {
            assert_eq!(err.code(), "wrong_key", "key {key}: {err}");
            None
        }
    }
}

#[test]
fn kill_9_during_rekey_leaves_a_file_that_opens_with_the_old_or_the_new_key() {
    let kills = size("RELIABILITY_REKEY_KILLS", 6);
    let mut rng = Rng::from_env();
    println!("seed {} (rerun with RELIABILITY_SEED)", rng.seed());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rekey.db");
    // A plain store made encrypted by a copy, then filled so that each
    // rekey rewrites some hundreds of pages and takes a while to kill in.
    let plain = dir.path().join("plain.db");
    let (store, ann, _, thread) = pair(&plain);
    for i in 0..1500 {
        ann.send(thread, &format!("filler {i} {}", "x".repeat(100)))
            .unwrap();
    }
    store.backup_with_key(&path, Some(&rekey_key(0))).unwrap();
    drop((store, ann));
    assert!(opens(&path, 0).is_some());

    let started = Instant::now();
    let mut key = 0u64;
    let mut acknowledged: Vec<(i64, String)> = Vec::new();
    let (mut old_key_kept, mut new_key_found) = (0, 0);
    for run in 0..kills {
        // From the start (open, login) to well into the loop of rekeys, each
        // of which rewrites every page (a few hundred) in one transaction.
        let lines = kill_after(
            env!("CARGO_BIN_EXE_rel-worker"),
            &["rekey-loop", path.to_str().unwrap(), &key.to_string()],
            Duration::from_micros(rng.range(100_000, 3_000_000)),
            run,
        );
        let mut acked_key = key;
        for line in lines {
            let mut words = line.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("sent"), Some(id), Some(text)) => {
                    acknowledged.push((id.parse().unwrap(), text.to_string()));
                }
                (Some("rekeyed"), Some(n), None) => acked_key = n.parse().unwrap(),
                other => panic!("run {run}: unexpected line {other:?}"),
            }
        }
        // The key the last `rekey` that returned set, or the next one (a
        // rekey in progress that committed): exactly one of them opens.
        let store = match (opens(&path, acked_key), opens(&path, acked_key + 1)) {
            (Some(store), None) => {
                old_key_kept += 1;
                key = acked_key;
                store
            }
            (None, Some(store)) => {
                new_key_found += 1;
                key = acked_key + 1;
                store
            }
            (old, new) => panic!(
                "run {run}: with key {acked_key}: {}, with key {}: {}",
                old.is_some(),
                acked_key + 1,
                new.is_some()
            ),
        };
        check(&store, &acknowledged, run);
        assert!(opens(&path, key + 2).is_none());
    }
    println!(
        "rekey kill -9: {kills} kills; the file opened with the last acknowledged key \
         {old_key_kept} times and with the key being set {new_key_found} times, never \
         with neither; {} keys set in all, {} acknowledged messages all present; \
         integrity_check ok after every kill ({:.1} s)",
        key,
        grouped(acknowledged.len() as u64),
        started.elapsed().as_secs_f64()
    );
    assert!(
        key >= kills / 3 && new_key_found + old_key_kept == kills,
        "too few rekeys happened to prove anything"
    );
}

/// Every acknowledged message is there with its text, the unread counters
/// agree, and SQLite's integrity check passes (through a copy: the check
/// needs a plain connection).
fn check(store: &Store, acknowledged: &[(i64, String)], run: u64) {
    let ann = chatcore_reliability::login(store, "ann").unwrap();
    let thread = ann.list_threads(&Default::default()).unwrap().items[0]
        .thread
        .id;
    let mut stored = std::collections::HashMap::new();
    let mut query = MessageQuery {
        after: Some(chatcore::MessageId(0)),
        limit: Some(500),
        ..Default::default()
    };
    loop {
        let page = ann.list_messages(thread, &query).unwrap();
        for message in &page.items {
            stored.insert(message.id.0, message.text.clone());
        }
        match (page.has_more, page.items.last()) {
            (true, Some(last)) => query.after = Some(last.id),
            _ => break,
        }
    }
    for (id, text) in acknowledged {
        assert_eq!(stored.get(id), Some(text), "after kill {run}: message {id}");
    }
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("plain-copy.db");
    store.backup_with_key(&copy, None).unwrap();
    let check = chatcore_reliability::check_file(&copy);
    assert!(check.messages >= acknowledged.len() as u64);
}
