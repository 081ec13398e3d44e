//! `Store::copy_to`: a whole store into an empty one, through the storage
//! seam, verified at the end.

mod common;
mod copy_support;

use chatcore::{Config, CopyProgress, CopyStage, Store, UserId};
use common::{PASSWORD, user};
use copy_support::{assert_feed_goes_on, assert_same, django, populate};
use std::path::Path;

fn open(path: &Path) -> Store {
    Store::open_with(path, Config::insecure_fast_for_tests()).unwrap()
}

#[test]
fn a_copy_to_a_new_file_holds_everything_and_every_session_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target = dir.path().join("b.db");
    let mut seen: Vec<CopyProgress> = Vec::new();
    let report = source
        .store
        .copy_to(&target, |progress| seen.push(*progress))
        .unwrap();
    assert_eq!(
        (
            report.users,
            report.sessions,
            report.threads,
            report.messages
        ),
        (4, 4, 3, 14 + 1 + 2 + 6_100 + 1)
    );
    // Nothing but the file itself is left in the folder (the temporary
    // file's WAL went into it before the move).
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("b.db") || name.starts_with(".chatcore-"))
        .collect();
    names.sort();
    assert_eq!(names, ["b.db"]);
    let copy = open(&target);
    assert_same(&source, &copy);

    // The stages in order, each ending with everything done.
    let mut stages: Vec<CopyStage> = seen.iter().map(|p| p.stage).collect();
    stages.dedup();
    use CopyStage::*;
    assert_eq!(
        stages,
        [Users, Sessions, Threads, Messages, ReadState, Verifying]
    );
    for stage in stages {
        let last = seen.iter().rfind(|p| p.stage == stage).unwrap();
        assert_eq!(last.done, last.total, "{stage:?}");
    }
    assert!(seen.iter().filter(|p| p.stage == Messages).count() >= 3);
}

#[test]
fn the_copy_goes_on_like_the_source_new_ids_above_the_copied_ones() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target = dir.path().join("b.db");
    source.store.copy_to(&target, |_| {}).unwrap();
    let copy = open(&target);
    let mut made = Vec::new();
    for store in [&source.store, &copy] {
        let ann = store.resume(&source.tokens[0]).unwrap();
        let bob = store.resume(&source.tokens[1]).unwrap();
        let (thread, created) = ann.create_thread(&[UserId(1), UserId(4)]).unwrap();
        assert!(created);
        let before = bob.unread_count().unwrap();
        let (ab, _) = ann.create_thread(&[UserId(1), UserId(2)]).unwrap();
        let sent = ann.send(ab.id, "after the copy").unwrap();
        assert_eq!(bob.unread_count().unwrap(), before + 1);
        // A keyed retry finds the copied message, not a new one.
        let (again, new) = ann.send_with_key(ab.id, "hello once", "key-1").unwrap();
        assert!(!new);
        assert_eq!(again.text, "hello once");
        let second = ann.send(thread.id, "new thread").unwrap();
        let eve = store
            .register(&chatcore::NewUser {
                email: "eve@example.com",
                username: "eve",
                password: PASSWORD,
                ..Default::default()
            })
            .unwrap();
        made.push((thread.id, sent.id, second.id, eve.id));
    }
    // The same ids on both: the counters were brought past the copied ids
    // (the deleted thread's and message's ids are not reused either).
    assert_eq!(made[0], made[1]);
    assert!(copy.verify_unread().unwrap().mismatches.is_empty());
}

#[test]
fn a_follower_of_the_feed_moves_to_the_copy_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target = dir.path().join("b.db");
    source.store.copy_to(&target, |_| {}).unwrap();
    assert_feed_goes_on(&source, &open(&target));
}

#[test]
fn a_copy_into_an_existing_empty_store_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target = dir.path().join("b.db");
    drop(open(&target));
    source.store.copy_to(&target, |_| {}).unwrap();
    assert_same(&source, &open(&target));
}

#[test]
fn a_target_that_is_not_empty_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target_path = dir.path().join("b.db");
    let target = open(&target_path);
    user(&target, "zed");
    let before = django(&target);
    let mut calls = 0;
    let err = source
        .store
        .copy_to(&target_path, |_| calls += 1)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(calls, 0);
    assert_eq!(django(&target), before);
    // Nor into itself.
    let err = source
        .store
        .copy_to(dir.path().join("a.db"), |_| {})
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
}

#[test]
fn a_copy_that_cannot_be_written_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(open(&dir.path().join("a.db")));
    let target = dir.path().join("missing-folder").join("b.db");
    let err = source.store.copy_to(&target, |_| {}).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(!target.exists());
}

#[test]
fn an_empty_store_copies_to_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("a.db"));
    let report = store.copy_to(dir.path().join("b.db"), |_| {}).unwrap();
    assert_eq!(report, chatcore::CopyReport::default());
    assert_eq!(django(&open(&dir.path().join("b.db"))), django(&store));
}

#[test]
fn an_in_memory_store_copies_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = populate(common::store());
    let target = dir.path().join("b.db");
    source.store.copy_to(&target, |_| {}).unwrap();
    assert_same(&source, &open(&target));
}

#[test]
fn every_kind_of_row_copies_across_many_pages() {
    use chatcore::{BulkMessage, BulkUser};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("a.db"));
    let (hub, hub_session) = user(&store, "hub");
    let now = chrono::Utc::now();
    store
        .bulk_load(|bulk| {
            for n in 0..1_100 {
                let email = format!("u{n}@example.com");
                let other = bulk.add_user(&BulkUser {
                    email: &email,
                    username: &format!("u{n}"),
                    ..Default::default()
                })?;
                let (thread, _) = bulk.add_thread([hub.id, other], now)?;
                bulk.add_message(&BulkMessage {
                    thread_id: thread,
                    sender_id: other,
                    text: "hi",
                    created_at: now,
                    read_at: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    let mut tokens = vec![hub_session.token().to_string()];
    for _ in 0..600 {
        tokens.push(
            store
                .login("hub@example.com", PASSWORD)
                .unwrap()
                .token()
                .to_string(),
        );
    }
    let target = dir.path().join("b.db");
    let report = store.copy_to(&target, |_| {}).unwrap();
    assert_eq!(
        (
            report.users,
            report.sessions,
            report.threads,
            report.messages
        ),
        (1_101, 601, 1_100, 1_100)
    );
    let copy = open(&target);
    assert_eq!(django(&store), django(&copy));
    // Every token resumes on the copy, with the same session id.
    for token in &tokens {
        assert_eq!(
            store.resume(token).unwrap().id(),
            copy.resume(token).unwrap().id()
        );
    }
    let source = copy_support::Source {
        store,
        tokens: vec![tokens[0].clone()],
    };
    assert_same(&source, &copy);
}
