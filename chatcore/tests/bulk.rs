//! The bulk path keeps every counter the one-at-a-time API keeps, and bad
//! input changes nothing.

use chatcore::{BulkMessage, BulkUser, Error, MessageQuery, Store, ThreadId, ThreadQuery, UserId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use std::path::{Path, PathBuf};

mod common;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minute)
}

/// A new store (a file, or a PostgreSQL schema) and where it is.
fn store(b: &TestBackend) -> (PathBuf, Store) {
    b.shared_store()
}

/// Rows in a table, read through a separate plain connection.
fn count(location: &Path, table: &str) -> i64 {
    row_count(location, table)
}

struct World {
    users: Vec<UserId>,
    threads: Vec<ThreadId>,
}

/// Three users; ann–bob with mixed read state over two loads, ann–cat light.
fn load_world(store: &Store, hash: &str) -> World {
    let (world, stats) = store
        .bulk_load(|bulk| {
            let mut users = Vec::new();
            for name in ["ann", "bob", "cat"] {
                users.push(bulk.add_user(&BulkUser {
                    email: &format!("{name}@example.com"),
                    username: name,
                    password_hash: Some(hash),
                    ..Default::default()
                })?);
            }
            let (ab, created) = bulk.add_thread([users[1], users[0]], at(0))?;
            assert!(created);
            let (ac, _) = bulk.add_thread([users[0], users[2]], at(0))?;
            assert_eq!(bulk.add_thread([users[0], users[1]], at(5))?, (ab, false));
            for n in 0..10 {
                // bob → ann: the first 6 read, the rest unread; ann → bob all unread.
                let read_at = (n < 6).then(|| at(100));
                bulk.add_message(&BulkMessage {
                    thread_id: ab,
                    sender_id: users[1],
                    text: &format!("bob {n}"),
                    created_at: at(n),
                    read_at,
                })?;
                bulk.add_message(&BulkMessage {
                    thread_id: ab,
                    sender_id: users[0],
                    text: &format!("ann {n}"),
                    created_at: at(n),
                    read_at: None,
                })?;
            }
            bulk.add_message(&BulkMessage {
                thread_id: ac,
                sender_id: users[2],
                text: "cat says hi",
                created_at: at(3),
                read_at: None,
            })?;
            Ok(World {
                users,
                threads: vec![ab, ac],
            })
        })
        .unwrap();
    assert_eq!((stats.users, stats.threads, stats.messages), (3, 2, 21));
    // A second transaction on the same threads adds to the counters.
    store
        .bulk_load(|bulk| {
            for n in 0..5 {
                bulk.add_message(&BulkMessage {
                    thread_id: world.threads[0],
                    sender_id: world.users[1],
                    text: "more from bob",
                    created_at: at(20 + n),
                    read_at: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    world
}

fn counters_agree_with_verify_unread_and_with_the_api(b: &TestBackend) {
    let (_location, store) = store(b);
    let hash = store.hash_password_for_import("correct horse").unwrap();
    let world = load_world(&store, &hash);
    let report = store.verify_unread().unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert_eq!(report.users_checked, 3);
    assert_eq!(report.threads_checked, 4);

    let ann = store.login("ann@example.com", "correct horse").unwrap();
    let bob = store.login("bob@example.com", "correct horse").unwrap();
    assert_eq!(ann.unread_count().unwrap(), 4 + 5 + 1);
    assert_eq!(bob.unread_count().unwrap(), 10);

    // Inbox order follows the loaded activity times; the last message is the newest.
    let inbox = ann.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(inbox.items.len(), 2);
    assert_eq!(inbox.items[0].thread.id, world.threads[0]);
    assert_eq!(inbox.items[0].thread.last_activity_at, at(24));
    assert_eq!(inbox.items[0].unread_count, 9);
    assert_eq!(
        inbox.items[0].last_message.as_ref().unwrap().text,
        "more from bob"
    );
    assert_eq!(inbox.items[1].unread_count, 1);

    // The read mark lets mark_thread_read count exactly the backlog.
    assert_eq!(ann.mark_thread_read(world.threads[0], None).unwrap(), 9);
    assert_eq!(ann.unread_count().unwrap(), 1);
    assert_eq!(bob.mark_thread_read(world.threads[0], None).unwrap(), 10);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());

    // Sending after a load moves the same counters.
    bob.send(world.threads[0], "live").unwrap();
    assert_eq!(ann.unread_count().unwrap(), 2);
    let page = ann
        .list_messages(world.threads[0], &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items.len(), 26);
    assert_eq!(page.items.last().unwrap().text, "live");
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(counters_agree_with_verify_unread_and_with_the_api);

fn a_thread_read_up_to_its_end_keeps_its_read_mark_moving(b: &TestBackend) {
    let (_location, store) = store(b);
    let hash = store.hash_password_for_import("correct horse").unwrap();
    let world = load_world(&store, &hash);
    // All of ann's backlog read through a load of already-read messages
    // must not make mark_thread_read skip later unread ones.
    let ann = store.login("ann@example.com", "correct horse").unwrap();
    ann.mark_thread_read(world.threads[0], None).unwrap();
    store
        .bulk_load(|bulk| {
            bulk.add_message(&BulkMessage {
                thread_id: world.threads[0],
                sender_id: world.users[1],
                text: "read already",
                created_at: at(30),
                read_at: Some(at(31)),
            })?;
            bulk.add_message(&BulkMessage {
                thread_id: world.threads[0],
                sender_id: world.users[1],
                text: "not yet",
                created_at: at(32),
                read_at: None,
            })
        })
        .unwrap();
    assert_eq!(ann.unread_count().unwrap(), 2);
    assert_eq!(ann.mark_thread_read(world.threads[0], None).unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(a_thread_read_up_to_its_end_keeps_its_read_mark_moving);

fn bad_input_is_a_typed_error_and_changes_nothing(b: &TestBackend) {
    let (location, store) = store(b);
    let hash = store.hash_password_for_import("correct horse").unwrap();
    let world = load_world(&store, &hash);
    let before: Vec<i64> = ["users", "threads", "members", "messages"]
        .iter()
        .map(|table| count(&location, table))
        .collect();
    let ann = store.login("ann@example.com", "correct horse").unwrap();
    let unread_before = ann.unread_count().unwrap();

    let good = BulkMessage {
        thread_id: world.threads[0],
        sender_id: world.users[1],
        text: "fine",
        created_at: at(50),
        read_at: None,
    };
    let cases: Vec<(BulkMessage<'_>, &str)> = vec![
        (
            BulkMessage {
                thread_id: ThreadId(9_999),
                ..good
            },
            "thread_not_found",
        ),
        (
            BulkMessage {
                sender_id: world.users[2],
                ..good
            },
            "not_participant",
        ),
        (BulkMessage { text: "  ", ..good }, "invalid_text"),
        (BulkMessage { text: "", ..good }, "invalid_text"),
        (
            BulkMessage {
                read_at: Some(at(49)),
                ..good
            },
            "invalid_argument",
        ),
    ];
    for (bad, code) in cases {
        let err = store
            .bulk_load(|bulk| {
                // Good rows before the bad one are rolled back with it.
                bulk.add_user(&BulkUser {
                    email: "dan@example.com",
                    username: "dan",
                    ..Default::default()
                })?;
                bulk.add_message(&good)?;
                bulk.add_message(&bad)
            })
            .unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    let duplicate = store
        .bulk_load(|bulk| {
            bulk.add_user(&BulkUser {
                email: "ANN@example.com",
                username: "ann2",
                ..Default::default()
            })
        })
        .unwrap_err();
    assert!(matches!(duplicate, Error::EmailTaken), "{duplicate}");
    let same = store
        .bulk_load(|bulk| bulk.add_thread([world.users[0], world.users[0]], at(0)))
        .unwrap_err();
    assert!(matches!(same, Error::DuplicateParticipant), "{same}");
    let unknown = store
        .bulk_load(|bulk| bulk.add_thread([world.users[0], UserId(777)], at(0)))
        .unwrap_err();
    assert_eq!(unknown.code(), "user_not_found");

    let after: Vec<i64> = ["users", "threads", "members", "messages"]
        .iter()
        .map(|table| count(&location, table))
        .collect();
    assert_eq!(before, after);
    assert_eq!(ann.unread_count().unwrap(), unread_before);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(bad_input_is_a_typed_error_and_changes_nothing);
