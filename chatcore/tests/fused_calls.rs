//! Issue 14 section 4: the operations that read their session, thread and
//! marks with one fused storage call (one statement on PostgreSQL) decide
//! exactly as before: every refusal, the clear mark, empty threads and
//! inboxes, exact counters when read marks race sends, and a new pair made
//! at once by several sessions.

mod common;

use chatcore::{
    ChangeKind, Config, Error, ManualClock, MessageId, MessageQuery, Session, Store, ThreadId,
    ThreadQuery, UserId,
};
use chrono::{Duration, TimeZone, Utc};
use common::{TestBackend, user};
use std::sync::Arc;

both!(
    a_logged_out_or_expired_session_is_refused_by_every_fused_call,
    a_missing_thread_or_message_and_a_non_participant_are_refused,
    the_clear_mark_read_with_the_context_hides_history_and_refuses_a_read_mark,
    an_empty_thread_and_an_empty_inbox_give_empty_pages,
    read_marks_racing_sends_keep_every_counter_exact,
    a_new_pair_is_one_thread_with_both_members_and_one_feed_entry_each,
);

fn clocked(backend: &TestBackend) -> (Arc<ManualClock>, Store) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    ));
    let config = Config::insecure_fast_for_tests()
        .clock(clock.clone())
        .session_ttl(Duration::hours(1).to_std().unwrap());
    (clock, backend.store_with(config))
}

/// Every call that reads its session with its data, on `session`.
fn every_fused_call(
    session: &Session,
    thread: ThreadId,
    message: MessageId,
    pair: [chatcore::UserId; 2],
) -> Vec<(&'static str, Error)> {
    let mut errors = Vec::new();
    let page = MessageQuery::default();
    errors.push(("history", session.list_messages(thread, &page).unwrap_err()));
    let inbox = ThreadQuery::default();
    errors.push(("inbox", session.list_threads(&inbox).unwrap_err()));
    errors.push(("create-or-get", session.create_thread(&pair).unwrap_err()));
    errors.push(("send", session.send(thread, "hello").unwrap_err()));
    errors.push((
        "keyed send",
        session.send_with_key(thread, "hello", "k-1").unwrap_err(),
    ));
    errors.push(("mark read", session.mark_read(message).unwrap_err()));
    errors.push((
        "mark thread read",
        session.mark_thread_read(thread, None).unwrap_err(),
    ));
    errors
}

fn a_logged_out_or_expired_session_is_refused_by_every_fused_call(backend: &TestBackend) {
    let (clock, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let message = a.send(thread.id, "hi").unwrap();
    let pair = [ann.id, bob.id];

    let gone = store.resume(b.token()).unwrap();
    b.logout().unwrap();
    for (call, err) in every_fused_call(&gone, thread.id, message.id, pair) {
        assert!(matches!(err, Error::SessionInvalid), "{call}: {err:?}");
    }

    clock.advance(Duration::hours(2));
    for (call, err) in every_fused_call(&a, thread.id, message.id, pair) {
        assert!(matches!(err, Error::SessionExpired), "{call}: {err:?}");
    }
    // Nothing was written by the refused calls.
    let again = store.login("ann@example.com", common::PASSWORD).unwrap();
    let page = again
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items, vec![message]);
}

fn a_missing_thread_or_message_and_a_non_participant_are_refused(backend: &TestBackend) {
    let (_, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (carl, c) = user(&store, "carl");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let message = a.send(thread.id, "hi").unwrap();
    let page = MessageQuery::default();

    let missing = ThreadId(thread.id.0 + 1000);
    assert!(
        matches!(a.list_messages(missing, &page), Err(Error::ThreadNotFound(id)) if id == missing.0)
    );
    assert!(matches!(
        a.send(missing, "x"),
        Err(Error::ThreadNotFound(_))
    ));
    assert!(matches!(
        a.mark_thread_read(missing, None),
        Err(Error::ThreadNotFound(_))
    ));
    assert!(matches!(
        a.mark_read(MessageId(message.id.0 + 1000)),
        Err(Error::MessageNotFound(_))
    ));

    assert!(matches!(
        c.list_messages(thread.id, &page),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(c.send(thread.id, "x"), Err(Error::NotParticipant)));
    assert!(matches!(
        c.mark_thread_read(thread.id, None),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        c.mark_read(message.id),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        c.create_thread(&[ann.id, bob.id]),
        Err(Error::NotParticipant)
    ));
    // A new pair with a missing user is refused before the write.
    let nobody = chatcore::UserId(carl.id.0 + 1000);
    assert!(matches!(
        c.create_thread(&[carl.id, nobody]),
        Err(Error::UserNotFound(_))
    ));
    // The sender is no recipient.
    assert!(matches!(a.mark_read(message.id), Err(Error::NotRecipient)));
    store
        .verify_unread()
        .map(|report| assert!(report.mismatches.is_empty()))
        .unwrap();
}

fn the_clear_mark_read_with_the_context_hides_history_and_refuses_a_read_mark(
    backend: &TestBackend,
) {
    let (_, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let old = a.send(thread.id, "before the clear").unwrap();
    b.clear_thread(thread.id).unwrap();
    let new = a.send(thread.id, "after the clear").unwrap();

    let page = b
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items, vec![new.clone()]);
    assert!(!page.has_more);
    let deep = MessageQuery {
        before: Some(new.id),
        ..Default::default()
    };
    assert!(b.list_messages(thread.id, &deep).unwrap().items.is_empty());
    assert!(matches!(
        b.mark_read(old.id),
        Err(Error::MessageNotFound(_))
    ));
    // The other participant still sees both.
    let theirs = a
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(theirs.items, vec![old, new.clone()]);

    assert_eq!(b.unread_count().unwrap(), 1);
    assert!(b.mark_read(new.id).unwrap().read_at.is_some());
    assert_eq!(b.unread_count().unwrap(), 0);
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 0);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

fn an_empty_thread_and_an_empty_inbox_give_empty_pages(backend: &TestBackend) {
    let (_, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    assert!(
        b.list_threads(&ThreadQuery::default())
            .unwrap()
            .items
            .is_empty()
    );
    let (thread, created) = a.create_thread(&[ann.id, bob.id]).unwrap();
    assert!(created);
    let (again, created) = b.create_thread(&[bob.id, ann.id]).unwrap();
    assert!(!created);
    assert_eq!(again, thread);
    let page = b
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert!(page.items.is_empty() && !page.has_more);
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 0);
    let inbox = b.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].thread.id, thread.id);
    assert!(inbox.items[0].last_message.is_none());
    assert!(inbox.next_cursor.is_none());
}

fn read_marks_racing_sends_keep_every_counter_exact(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let b2 = store.login("bob@example.com", common::PASSWORD).unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for n in 0..60 {
                a.send(thread.id, &format!("message {n}")).unwrap();
            }
        });
        for reader in [&b, &b2] {
            scope.spawn(move || {
                for n in 0..30 {
                    match n % 3 {
                        0 => drop(reader.mark_thread_read(thread.id, None).unwrap()),
                        _ => {
                            let page = reader.list_messages(thread.id, &MessageQuery::default());
                            if let Some(last) = page.unwrap().items.last() {
                                reader.mark_read(last.id).unwrap();
                            }
                        }
                    }
                }
            });
        }
    });
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    let unread = b
        .list_messages(
            thread.id,
            &MessageQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .unwrap()
        .items
        .iter()
        .filter(|m| m.read_at.is_none())
        .count();
    assert_eq!(b.unread_count().unwrap(), unread as u64);
    b.mark_thread_read(thread.id, None).unwrap();
    assert_eq!(b.unread_count().unwrap(), 0);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}

/// Create-or-get of a new pair reads the session, the pair's thread and
/// both users in one fused call (in the read, and again in the write), and
/// writes the thread with its members, then both feed entries, in one
/// statement each on PostgreSQL: a missing user is named on either side of
/// the pair and nothing is written; four sessions creating the pair at once
/// make one thread, which both users' inboxes show, with one
/// `ThreadCreated` entry in each user's feed.
fn a_new_pair_is_one_thread_with_both_members_and_one_feed_entry_each(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let cursors = [a.change_cursor().unwrap(), b.change_cursor().unwrap()];
    for missing in [UserId(0), UserId(bob.id.0 + 1000)] {
        match a.create_thread(&[ann.id, missing]) {
            Err(Error::UserNotFound(text)) => {
                assert!(text.ends_with(&format!(" {missing}")), "{text}")
            }
            other => panic!("{missing}: {other:?}"),
        }
    }
    assert!(
        a.list_threads(&ThreadQuery::default())
            .unwrap()
            .items
            .is_empty()
    );

    let a2 = store.login("ann@example.com", common::PASSWORD).unwrap();
    let b2 = store.login("bob@example.com", common::PASSWORD).unwrap();
    let results: Vec<_> = std::thread::scope(|scope| {
        let calls: Vec<_> = [&a, &b, &a2, &b2]
            .into_iter()
            .map(|session| scope.spawn(move || session.create_thread(&[bob.id, ann.id]).unwrap()))
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let id = results[0].0.id;
    assert!(results.iter().all(|(thread, _)| thread.id == id));
    for (session, cursor) in [(&a, cursors[0]), (&b, cursors[1])] {
        let inbox = session.list_threads(&ThreadQuery::default()).unwrap();
        let ids: Vec<_> = inbox.items.iter().map(|s| s.thread.id).collect();
        assert_eq!(ids, vec![id]);
        let changes = session.changes(Some(cursor), None).unwrap().items;
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].kind, ChangeKind::ThreadCreated);
        assert_eq!(changes[0].thread_id, Some(id));
    }
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
