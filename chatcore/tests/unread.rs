//! Read marks and unread counts: who may mark, what is counted, and that the
//! counters always agree with the messages.

mod common;

use chatcore::{Config, ManualClock, MessageId, MessageQuery, PasswordCost, Store, ThreadQuery};
use chrono::{Duration, TimeZone, Utc};
use common::*;
use std::sync::Arc;

fn mark_read_is_idempotent_and_keeps_the_first_read_time(b: &TestBackend) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap(),
    ));
    let store = b.store_with(Config::insecure_fast_for_tests().clock(clock.clone()));
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let message = a.send(thread.id, "hi").unwrap();
    clock.advance(Duration::minutes(5));
    let first = b.mark_read(message.id).unwrap().read_at.unwrap();
    clock.advance(Duration::minutes(5));
    let again = b.mark_read(message.id).unwrap().read_at.unwrap();
    assert_eq!(first, again);
    assert_eq!(first, message.created_at + Duration::minutes(5));
    assert_eq!(b.unread_count().unwrap(), 0, "not decremented twice");
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(mark_read_is_idempotent_and_keeps_the_first_read_time);

fn mark_thread_read_marks_only_the_other_participants_messages_up_to_an_id(b: &TestBackend) {
    let store = b.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let from_ann: Vec<MessageId> = (0..5)
        .map(|i| a.send(thread.id, &format!("a{i}")).unwrap().id)
        .collect();
    let from_bob = b.send(thread.id, "b0").unwrap();
    assert_eq!(b.unread_count().unwrap(), 5);
    assert_eq!(a.unread_count().unwrap(), 1);

    assert_eq!(b.mark_thread_read(thread.id, Some(from_ann[1])).unwrap(), 2);
    assert_eq!(b.unread_count().unwrap(), 3);
    // One marked on its own, then the rest: it is not counted twice.
    b.mark_read(from_ann[3]).unwrap();
    assert_eq!(b.unread_count().unwrap(), 2);
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 2);
    assert_eq!(
        b.mark_thread_read(thread.id, None).unwrap(),
        0,
        "nothing left"
    );
    assert_eq!(b.unread_count().unwrap(), 0);
    // Bob's own message is untouched, and still unread for Ann.
    let page = a
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    let bobs = page.items.iter().find(|m| m.id == from_bob.id).unwrap();
    assert!(bobs.read_at.is_none());
    assert_eq!(a.unread_count().unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(mark_thread_read_marks_only_the_other_participants_messages_up_to_an_id);

fn mark_thread_read_past_the_newest_message_leaves_later_messages_unread(b: &TestBackend) {
    let store = b.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "one").unwrap();
    assert_eq!(
        b.mark_thread_read(thread.id, Some(MessageId(1_000_000)))
            .unwrap(),
        1
    );
    let later = a.send(thread.id, "two").unwrap();
    assert_eq!(b.unread_count().unwrap(), 1);
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 1);
    let page = b
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert!(
        page.items
            .iter()
            .find(|m| m.id == later.id)
            .unwrap()
            .read_at
            .is_some()
    );
}
both!(mark_thread_read_past_the_newest_message_leaves_later_messages_unread);

fn unread_counts_sum_over_threads_and_drop_with_a_deleted_thread(b: &TestBackend) {
    let store = b.store();
    let (me, s) = user(&store, "me");
    let (x, xs) = user(&store, "x");
    let (y, ys) = user(&store, "y");
    let (tx, _) = s.create_thread(&[me.id, x.id]).unwrap();
    let (ty, _) = s.create_thread(&[me.id, y.id]).unwrap();
    for _ in 0..3 {
        xs.send(tx.id, "from x").unwrap();
    }
    for _ in 0..4 {
        ys.send(ty.id, "from y").unwrap();
    }
    s.send(tx.id, "mine").unwrap();
    assert_eq!(s.unread_count().unwrap(), 7);
    let inbox = s.list_threads(&ThreadQuery::default()).unwrap();
    let per_thread: Vec<_> = inbox
        .items
        .iter()
        .map(|t| (t.thread.id, t.unread_count))
        .collect();
    assert!(per_thread.contains(&(tx.id, 3)) && per_thread.contains(&(ty.id, 4)));
    ys.delete_thread(ty.id).unwrap();
    assert_eq!(s.unread_count().unwrap(), 3);
    assert_eq!(xs.unread_count().unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(unread_counts_sum_over_threads_and_drop_with_a_deleted_thread);

#[test]
fn verify_finds_and_repair_fixes_a_drifted_counter() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "1").unwrap();
    a.send(thread.id, "2").unwrap();
    let clean = store.verify_unread().unwrap();
    assert!(clean.mismatches.is_empty());
    assert_eq!(clean.threads_checked, 2);
    assert_eq!(clean.users_checked, 2);
    // Damage the counters behind the library's back.
    raw(&path)
        .execute_batch("UPDATE users SET unread_total = 9 WHERE username = 'bob'; UPDATE members SET unread = 5;")
        .unwrap();
    let report = store.verify_unread().unwrap();
    assert_eq!(report.mismatches.len(), 3, "{report:?}");
    assert_eq!(b.unread_count().unwrap(), 9, "verify changes nothing");
    let repaired = store.repair_unread().unwrap();
    assert_eq!(repaired.mismatches, report.mismatches);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    assert_eq!(b.unread_count().unwrap(), 2);
}

#[test]
fn a_weaker_stored_hash_is_upgraded_on_successful_login_only() {
    let (dir, path, store) = file_store();
    user(&store, "ann");
    drop(store);
    let hash_of = |path: &std::path::Path| -> String {
        raw(path)
            .query_row(
                "SELECT password_hash FROM users WHERE username = 'ann'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let weak = hash_of(&path);
    assert!(weak.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{weak}");
    let store =
        Store::open_with(&path, Config::default().password_cost(PasswordCost::OWASP)).unwrap();
    assert!(store.login("ann@example.com", "wrong password").is_err());
    assert_eq!(hash_of(&path), weak, "a failed login changes nothing");
    store.login("ann@example.com", PASSWORD).unwrap();
    let upgraded = hash_of(&path);
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    store.login("ann@example.com", PASSWORD).unwrap();
    drop(dir);
}

#[test]
fn only_the_token_hash_is_stored() {
    let (_dir, path, store) = file_store();
    let (_, s) = user(&store, "ann");
    let stored: Vec<u8> = raw(&path)
        .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored.len(), 32);
    let dump = snapshot(&path);
    assert!(
        !dump.contains(s.token()),
        "the token is not in the database"
    );
    assert!(!format!("{s:?}").contains(s.token()), "nor in Debug output");
}
