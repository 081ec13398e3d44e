//! The remembered send decides from rows it did not read: these tests check
//! that it writes only while they are what a read would find, on a file and
//! (with `CHATCORE_TEST_POSTGRES_URL`) on PostgreSQL, each time with two
//! stores on the same data standing for two processes.

use crate::accounts::Remembered;
use crate::test_backends::{on_each_backend, open, start, user};
use crate::{Clock, Error, ManualClock, Session, Store, ThreadId};
use chrono::Duration;
use std::sync::Arc;

/// How many messages the thread holds, as `session` sees them.
fn count(session: &Session, thread: ThreadId) -> usize {
    let query = crate::MessageQuery {
        limit: Some(100),
        ..Default::default()
    };
    session.list_messages(thread, &query).unwrap().items.len()
}

fn assert_counters_exact(store: &Store) {
    let report = store.verify_unread().unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

#[test]
fn after_a_send_the_next_send_in_that_thread_decides_from_what_it_remembered() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let store = open(location, &clock);
        let (ann, a) = user(&store, "ann");
        let (bob, b) = user(&store, "bob");
        let (carol, _) = user(&store, "carol");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        let (other, _) = a.create_thread(&[ann.id, carol.id]).unwrap();

        // Nothing remembered yet: the send must read.
        assert_eq!(
            a.send_as_remembered(thread.id, "x", clock.now()).unwrap(),
            None
        );
        a.send(thread.id, "first").unwrap();
        clock.advance(Duration::seconds(1));
        let second = a
            .send_as_remembered(thread.id, "second", clock.now())
            .unwrap()
            .expect("the remembered rows still hold");
        assert_eq!((second.text.as_str(), second.sender_id), ("second", ann.id));
        // Another thread is not what was remembered.
        assert_eq!(
            a.send_as_remembered(other.id, "x", clock.now()).unwrap(),
            None
        );

        assert_eq!(count(&a, thread.id), 2);
        assert_eq!(b.unread_count().unwrap(), 2);
        assert_eq!(a.thread(thread.id).unwrap().last_activity_at, clock.now());
        assert_counters_exact(&store);
    });
}

#[test]
fn a_logout_or_a_deleted_thread_elsewhere_stops_the_remembered_send_before_it_writes() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let (here, there) = (open(location, &clock), open(location, &clock));
        let (ann, a) = user(&here, "ann");
        let (bob, _) = user(&here, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "first").unwrap();

        there.resume(a.token()).unwrap().logout().unwrap();
        assert_eq!(
            a.send_as_remembered(thread.id, "x", clock.now()).unwrap(),
            None
        );
        assert!(matches!(a.send(thread.id, "x"), Err(Error::SessionInvalid)));

        let a = here.login("ann@example.com", "ann password").unwrap();
        a.send(thread.id, "second").unwrap();
        let b = there.login("bob@example.com", "bob password").unwrap();
        assert_eq!(count(&b, thread.id), 2);
        b.delete_thread(thread.id).unwrap();
        assert_eq!(
            a.send_as_remembered(thread.id, "x", clock.now()).unwrap(),
            None
        );
        assert!(matches!(
            a.send(thread.id, "x"),
            Err(Error::ThreadNotFound(_))
        ));
        assert_eq!(b.unread_count().unwrap(), 0);
        assert_counters_exact(&here);
    });
}

#[test]
fn a_newer_activity_elsewhere_makes_the_send_read_and_activity_never_moves_back() {
    on_each_backend(|location| {
        let (early, late) = (
            Arc::new(ManualClock::new(start())),
            Arc::new(ManualClock::new(start() + Duration::minutes(10))),
        );
        let (here, there) = (open(location, &early), open(location, &late));
        let (ann, a) = user(&here, "ann");
        let (bob, _) = user(&here, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "first").unwrap();
        let b = there.login("bob@example.com", "bob password").unwrap();
        b.send(thread.id, "from a later clock").unwrap();

        early.advance(Duration::seconds(30));
        assert_eq!(
            a.send_as_remembered(thread.id, "x", early.now()).unwrap(),
            None
        );
        a.send(thread.id, "second").unwrap();
        let newest = start() + Duration::minutes(10);
        assert_eq!(a.thread(thread.id).unwrap().last_activity_at, newest);
        assert_eq!(count(&a, thread.id), 3);
        assert_counters_exact(&here);
    });
}

#[test]
fn a_due_refresh_of_last_used_makes_the_send_read_and_refresh_it() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let store = open(location, &clock);
        let (ann, a) = user(&store, "ann");
        let (bob, _) = user(&store, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "first").unwrap();

        clock.advance(Duration::minutes(2));
        assert_eq!(
            a.send_as_remembered(thread.id, "x", clock.now()).unwrap(),
            None
        );
        a.send(thread.id, "second").unwrap();
        let mine = a
            .sessions()
            .unwrap()
            .into_iter()
            .find(|s| s.current)
            .unwrap();
        assert_eq!(mine.last_used_at, clock.now());
    });
}

#[test]
fn remembered_participants_that_are_not_the_threads_write_nothing() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let store = open(location, &clock);
        let (ann, a) = user(&store, "ann");
        let (bob, b) = user(&store, "bob");
        let (carol, c) = user(&store, "carol");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "first").unwrap();

        // As if the id now named another pair's thread: the message must
        // not reach carol, nor bob under the wrong pair.
        let mut known: Remembered = a.remembered.lock().unwrap().clone().unwrap();
        known.thread.participants = [ann.id, carol.id];
        *a.remembered.lock().unwrap() = Some(known);
        assert_eq!(
            a.send_as_remembered(thread.id, "x", clock.now()).unwrap(),
            None
        );
        assert_eq!(count(&a, thread.id), 1);
        assert_eq!(
            (b.unread_count().unwrap(), c.unread_count().unwrap()),
            (1, 0)
        );
        assert_counters_exact(&store);
    });
}
