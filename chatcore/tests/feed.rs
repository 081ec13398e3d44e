//! The change feed in one process: what each operation writes (and what a
//! refused one does not), paging and cursors, retention and
//! `ChangesExpired`, the import's single entry, the migration, and waits
//! (wake-up, timeout, interrupt). Several processes: the reliability
//! suite's `feed_processes`.

mod common;

use chatcore::{
    Change, ChangeCursor, ChangeKind, Config, Error, ManualClock, SCHEMA_VERSION, Session, Store,
    User,
};
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use common::{PASSWORD, TestBackend, file_store, user};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn kinds(items: &[Change]) -> Vec<ChangeKind> {
    items.iter().map(|change| change.kind).collect()
}

fn all(session: &Session, after: Option<ChangeCursor>) -> Vec<Change> {
    session
        .changes_iter(after, Some(3))
        .collect::<chatcore::Result<Vec<_>>>()
        .unwrap()
}

fn pair(store: &Store) -> (User, Session, User, Session) {
    let (ann, a) = user(store, "ann");
    let (bob, b) = user(store, "bob");
    (ann, a, bob, b)
}

fn each_operation_writes_its_entries_to_each_affected_user(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a, bob, b) = pair(&store);
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let hello = a.send(thread.id, "hello").unwrap();
    let reply = b.send(thread.id, "hi ann").unwrap();
    b.mark_read(hello.id).unwrap();
    a.mark_thread_read(thread.id, None).unwrap();

    let for_bob = all(&b, None);
    use ChangeKind::*;
    assert_eq!(
        kinds(&for_bob),
        [
            ThreadCreated,
            MessageSent,
            MessageSent,
            MessageRead,
            ThreadRead
        ]
    );
    assert_eq!(for_bob[0].thread_id, Some(thread.id));
    assert_eq!(for_bob[0].actor_id, Some(ann.id));
    let incoming = &for_bob[1];
    assert_eq!(incoming.message.as_ref().unwrap().text, "hello");
    assert_eq!(incoming.actor_id, Some(ann.id));
    assert_eq!(incoming.at, hello.created_at);
    // A read receipt carries the message with its read time.
    let receipt = &all(&a, None)[3];
    assert_eq!(receipt.kind, MessageRead);
    assert_eq!(receipt.actor_id, Some(bob.id));
    assert_eq!(receipt.message_id, Some(hello.id));
    assert_eq!(receipt.message.as_ref().unwrap().read_at, Some(receipt.at));
    // Thread read: the read mark is the newest message read.
    assert_eq!(for_bob[4].message_id, Some(reply.id));
    assert_eq!(for_bob[4].actor_id, Some(ann.id));
    assert!(for_bob[4].message.is_none());
    // Ann's feed has the same entries, in the same (commit) order.
    let for_ann = all(&a, None);
    assert_eq!(kinds(&for_ann), kinds(&for_bob));
    let cursors: Vec<_> = for_ann.iter().map(|c| c.cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]));
}
both!(each_operation_writes_its_entries_to_each_affected_user);

fn refused_and_no_op_operations_write_nothing(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a, bob, b) = pair(&store);
    let (cyd, c) = user(&store, "cyd");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let hello = a.send_with_key(thread.id, "hello", "k1").unwrap().0;
    let before_a = a.change_cursor().unwrap();
    let before_b = b.change_cursor().unwrap();
    let before_c = c.change_cursor().unwrap();

    // A retried keyed send, an existing thread, refusals of every kind.
    assert!(!a.send_with_key(thread.id, "hello", "k1").unwrap().1);
    assert!(!a.create_thread(&[ann.id, bob.id]).unwrap().1);
    assert!(matches!(a.mark_read(hello.id), Err(Error::NotRecipient)));
    assert!(matches!(
        c.send(thread.id, "intruder"),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(a.send(thread.id, " "), Err(Error::InvalidText(_))));
    assert!(matches!(
        c.delete_thread(thread.id),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        a.send_with_key(thread.id, "other text", "k1"),
        Err(Error::InvalidArgument(_))
    ));
    // Marking read what is read already changes nothing.
    b.mark_read(hello.id).unwrap();
    let after_first_read = b.change_cursor().unwrap();
    b.mark_read(hello.id).unwrap();
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 0);

    assert_eq!(a.changes(Some(before_a), None).unwrap().items.len(), 1);
    assert_eq!(b.changes(Some(after_first_read), None).unwrap().items, []);
    assert_eq!(b.changes(Some(before_b), None).unwrap().items.len(), 1);
    assert_eq!(c.changes(Some(before_c), None).unwrap().items, []);
    let _ = cyd;
}
both!(refused_and_no_op_operations_write_nothing);

fn a_deleted_thread_keeps_its_entries_without_their_messages_and_says_so(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a, bob, b) = pair(&store);
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "soon gone").unwrap();
    b.delete_thread(thread.id).unwrap();
    for session in [&a, &b] {
        let items = all(session, None);
        use ChangeKind::*;
        assert_eq!(kinds(&items), [ThreadCreated, MessageSent, ThreadDeleted]);
        assert!(
            items[1].message.is_none(),
            "the message went with its thread"
        );
        assert!(items[1].message_id.is_some());
        assert_eq!(items[2].actor_id, Some(bob.id));
        assert_eq!(items[2].thread_id, Some(thread.id));
    }
}
both!(a_deleted_thread_keeps_its_entries_without_their_messages_and_says_so);

fn setting_a_password_tells_that_user_only(backend: &TestBackend) {
    let store = backend.store();
    let (ann, _a, _bob, b) = pair(&store);
    let bob_before = b.change_cursor().unwrap();
    store.set_password(ann.id, "a new password").unwrap();
    let a = store.login("ann@example.com", "a new password").unwrap();
    assert_eq!(kinds(&all(&a, None)), [ChangeKind::PasswordChanged]);
    assert_eq!(b.changes(Some(bob_before), None).unwrap().items, []);
}
both!(setting_a_password_tells_that_user_only);

fn pages_are_exact_and_the_cursor_of_now_skips_the_past(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a, bob, b) = pair(&store);
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for i in 0..7 {
        a.send(thread.id, &format!("m{i}")).unwrap();
    }
    let first = b.changes(None, Some(3)).unwrap();
    assert_eq!(first.items.len(), 3);
    assert!(first.has_more);
    assert_eq!(first.next_cursor, first.items[2].cursor);
    let rest = all(&b, Some(first.next_cursor));
    assert_eq!(rest.len(), 5);
    assert!(!b.changes(Some(rest[4].cursor), None).unwrap().has_more);
    // The iterator gives the same as the pages.
    let texts: Vec<_> = all(&b, None)
        .into_iter()
        .filter_map(|c| c.message.map(|m| m.text))
        .collect();
    assert_eq!(texts, (0..7).map(|i| format!("m{i}")).collect::<Vec<_>>());

    let now = b.change_cursor().unwrap();
    assert_eq!(now, rest[4].cursor);
    let empty = b.changes(Some(now), None).unwrap();
    assert_eq!(
        (empty.items.len(), empty.next_cursor, empty.has_more),
        (0, now, false)
    );
    a.send(thread.id, "new").unwrap();
    assert_eq!(b.changes(Some(now), None).unwrap().items.len(), 1);
    // A cursor survives as its integer.
    assert_eq!(ChangeCursor::from_raw(now.raw()), now);
}
both!(pages_are_exact_and_the_cursor_of_now_skips_the_past);

fn bad_cursors_and_limits_are_refused(backend: &TestBackend) {
    let store = backend.store();
    let (_ann, a, _bob, _b) = pair(&store);
    let now = a.change_cursor().unwrap();
    for raw in [-1, now.raw() + 1_000, i64::MAX] {
        let err = a
            .changes(Some(ChangeCursor::from_raw(raw)), None)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{raw}: {err}");
        let err = a
            .wait_for_changes(Some(ChangeCursor::from_raw(raw)), Duration::ZERO)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{raw}: {err}");
    }
    for limit in [0, 501] {
        assert!(matches!(
            a.changes(None, Some(limit)),
            Err(Error::InvalidArgument(_))
        ));
    }
}
both!(bad_cursors_and_limits_are_refused);

fn past_the_count_bound_old_entries_are_pruned_and_an_old_cursor_expires(backend: &TestBackend) {
    let config = Config::insecure_fast_for_tests().max_changes_per_user(20);
    let store = backend.store_with(config);
    let (ann, a, bob, b) = pair(&store);
    let start = b.change_cursor().unwrap();
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let early = b.changes(None, None).unwrap().next_cursor;
    for i in 0..60 {
        a.send(thread.id, &format!("m{i}")).unwrap();
    }
    let kept = all(&b, None);
    // Checked every PRUNE_STEP entries: between checks a few more are kept.
    let step = chatcore::PRUNE_STEP as usize;
    assert!(kept.len() >= 20 && kept.len() < 20 + step, "{}", kept.len());
    // What is kept is the newest entries, without a gap.
    let texts: Vec<_> = kept
        .iter()
        .map(|c| c.message.clone().unwrap().text)
        .collect();
    let expected: Vec<_> = (60 - kept.len()..60).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, expected);
    for old in [start, early] {
        assert!(matches!(
            b.changes(Some(old), None),
            Err(Error::ChangesExpired)
        ));
        assert!(matches!(
            b.wait_for_changes(Some(old), Duration::ZERO),
            Err(Error::ChangesExpired)
        ));
    }
    assert_eq!(Error::ChangesExpired.code(), "changes_expired");
    // The cursor just before the oldest kept entry is still whole.
    let pruned_through = ChangeCursor::from_raw(kept[0].cursor.raw() - 1);
    let page = b.changes(Some(pruned_through), Some(500)).unwrap();
    assert_eq!(page.items, kept);
    // A fresh cursor works.
    let fresh = b.change_cursor().unwrap();
    assert_eq!(b.changes(Some(fresh), None).unwrap().items, []);
}
both!(past_the_count_bound_old_entries_are_pruned_and_an_old_cursor_expires);

fn entries_older_than_the_retention_are_pruned_by_the_next_write(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let config = Config::insecure_fast_for_tests()
        .clock(clock.clone())
        .session_ttl(Duration::from_secs(365 * 24 * 3600))
        .change_retention(Duration::from_secs(30 * 24 * 3600));
    let store = backend.store_with(config);
    let (ann, a, bob, b) = pair(&store);
    let start = b.change_cursor().unwrap();
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "old").unwrap();
    let old_cursor = b.change_cursor().unwrap();
    clock.advance(ChronoDuration::days(29));
    a.send(thread.id, "29 days later").unwrap();
    // Nothing is older than 30 days yet.
    assert_eq!(all(&b, None).len(), 3);
    clock.advance(ChronoDuration::days(2));
    // Bob's feed has 3 entries; the retention is checked at his 16th.
    let step = chatcore::PRUNE_STEP as usize;
    for i in 0..step - 3 {
        a.send(thread.id, &format!("late {i}")).unwrap();
    }
    let kept = all(&b, None);
    let texts: Vec<_> = kept
        .iter()
        .filter_map(|c| c.message.clone().map(|m| m.text))
        .collect();
    let mut expected = vec!["29 days later".to_string()];
    expected.extend((0..step - 3).map(|i| format!("late {i}")));
    assert_eq!(texts, expected);
    // The old cursor still covers everything kept after it.
    assert_eq!(b.changes(Some(old_cursor), None).unwrap().items, kept);
    assert!(matches!(
        b.changes(Some(start), None),
        Err(Error::ChangesExpired)
    ));
}
both!(entries_older_than_the_retention_are_pruned_by_the_next_write);

fn an_import_writes_one_entry_per_user_and_none_per_message(backend: &TestBackend) {
    let store = backend.store();
    let dump = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/c/dumpdata.json"
    ))
    .unwrap();
    let (_ann, a) = user(&store, "ann");
    let before = a.change_cursor().unwrap();
    // A dry run writes nothing.
    store.import_django(&dump[..], true).unwrap();
    assert_eq!(a.changes(Some(before), None).unwrap().items, []);
    let report = store.import_django(&dump[..], false).unwrap();
    assert!(report.messages > 0);
    let mine = a.changes(Some(before), None).unwrap().items;
    assert_eq!(kinds(&mine), [ChangeKind::Imported]);
    store
        .set_password(chatcore::UserId(7), "lea's new password")
        .unwrap();
    let lea = store
        .login("lea@example.com", "lea's new password")
        .unwrap();
    assert_eq!(
        kinds(&all(&lea, None)),
        [ChangeKind::Imported, ChangeKind::PasswordChanged]
    );
}
both!(an_import_writes_one_entry_per_user_and_none_per_message);

#[test]
fn a_file_from_before_the_feed_gets_an_empty_feed() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "before the feed").unwrap();
    drop((a, store));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&common::downgrade_to(chatcore::FEED_SCHEMA_VERSION - 1))
        .unwrap();
    drop(conn);

    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(all(&a, None), []);
    let start = a.change_cursor().unwrap();
    assert_eq!(start.raw(), 0);
    let sent = a.send(thread.id, "after the feed").unwrap();
    let items = a.changes(Some(start), None).unwrap().items;
    assert_eq!(items[0].message.as_ref().unwrap(), &sent);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

fn a_wait_wakes_on_a_send_of_another_thread_and_times_out_without_one(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a, bob, b) = pair(&store);
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let now = b.change_cursor().unwrap();
    let started = Instant::now();
    assert!(
        !b.wait_for_changes(Some(now), Duration::from_millis(50))
            .unwrap()
    );
    assert!(started.elapsed() >= Duration::from_millis(50));

    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        a.send(thread.id, "wake up").unwrap()
    });
    assert!(
        b.wait_for_changes(Some(now), Duration::from_secs(60))
            .unwrap()
    );
    let sent = sender.join().unwrap();
    let items = b.changes(Some(now), None).unwrap().items;
    assert_eq!(items[0].message.as_ref().unwrap(), &sent);
    // With entries after the cursor already there, it returns at once.
    assert!(b.wait_for_changes(Some(now), Duration::ZERO).unwrap());
}
both!(a_wait_wakes_on_a_send_of_another_thread_and_times_out_without_one);

fn interrupt_ends_a_running_wait_from_another_thread(backend: &TestBackend) {
    let store = backend.store();
    let (_ann, _a, _bob, b) = pair(&store);
    let now = b.change_cursor().unwrap();
    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        (
            b.wait_for_changes(Some(now), Duration::from_secs(600)),
            started.elapsed(),
        )
    });
    std::thread::sleep(Duration::from_millis(100));
    store.interrupt_waits();
    let (woken, took) = waiter.join().unwrap();
    assert!(!woken.unwrap());
    assert!(took < Duration::from_secs(300), "{took:?}");
}
both!(interrupt_ends_a_running_wait_from_another_thread);

fn a_wait_on_a_file_store_wakes_for_another_store_on_the_same_file(backend: &TestBackend) {
    // The recheck is far beyond the timeout: only the watcher can wake it.
    let (path, store) = backend.shared_store();
    let (ann, a, bob, _) = pair(&store);
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let config = Config::insecure_fast_for_tests().wait_recheck(Duration::from_secs(3600));
    let other = Store::open_with(&path, config).unwrap();
    let b = other.login("bob@example.com", PASSWORD).unwrap();
    let now = b.change_cursor().unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        a.send(thread.id, "from the other store").unwrap()
    });
    assert!(
        b.wait_for_changes(Some(now), Duration::from_secs(60))
            .unwrap()
    );
    sender.join().unwrap();
}
both!(a_wait_on_a_file_store_wakes_for_another_store_on_the_same_file);
