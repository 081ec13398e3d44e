//! A new pair's thread written as decided from create-or-get's first read:
//! only while that read still holds, on a file and (with
//! `CHATCORE_TEST_POSTGRES_URL`) on PostgreSQL, with two stores on the
//! same data standing for two processes.

use crate::test_backends::{on_each_backend, open, session_row, start, user};
use crate::{ChangeKind, Clock, Error, ManualClock, Session, ThreadQuery};
use chrono::Duration;
use std::sync::Arc;

/// The ids of the threads in `session`'s inbox.
fn inbox(session: &Session) -> Vec<i64> {
    let page = session.list_threads(&ThreadQuery::default()).unwrap();
    page.items
        .iter()
        .map(|summary| summary.thread.id.0)
        .collect()
}

#[test]
fn a_new_pair_is_written_as_read_with_its_members_and_feed_entries() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let store = open(location, &clock);
        let (ann, a) = user(&store, "ann");
        let (bob, b) = user(&store, "bob");
        let cursors = [a.change_cursor().unwrap(), b.change_cursor().unwrap()];
        let session = session_row(&a);

        let pair = (ann.id, bob.id);
        let thread = a
            .create_as_read(pair, &session, clock.now())
            .unwrap()
            .expect("nothing changed since the read");
        assert_eq!(thread.participants, [ann.id, bob.id]);
        assert_eq!(
            (thread.created_at, thread.last_activity_at),
            (start(), start())
        );
        assert_eq!(
            (inbox(&a), inbox(&b)),
            (vec![thread.id.0], vec![thread.id.0])
        );
        for (session, cursor) in [(&a, cursors[0]), (&b, cursors[1])] {
            let page = session.changes(Some(cursor), None).unwrap();
            let kinds: Vec<_> = page.items.iter().map(|c| (c.kind, c.thread_id)).collect();
            assert_eq!(kinds, vec![(ChangeKind::ThreadCreated, Some(thread.id))]);
        }
        // The pair has its thread now: a second write as read writes nothing.
        assert_eq!(a.create_as_read(pair, &session, clock.now()).unwrap(), None);
        assert_eq!(a.create_thread(&[bob.id, ann.id]).unwrap(), (thread, false));
        assert_eq!(inbox(&a).len(), 1);
    });
}

#[test]
fn a_pair_made_or_a_logout_elsewhere_since_the_read_writes_nothing() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let (here, there) = (open(location, &clock), open(location, &clock));
        let (ann, a) = user(&here, "ann");
        let (bob, _) = user(&here, "bob");
        let (carol, _) = user(&here, "carol");
        let session = session_row(&a);

        let b = there.login("bob@example.com", "bob password").unwrap();
        let (made, created) = b.create_thread(&[ann.id, bob.id]).unwrap();
        assert!(created);
        assert_eq!(
            a.create_as_read((ann.id, bob.id), &session, clock.now())
                .unwrap(),
            None
        );
        assert_eq!(inbox(&a), vec![made.id.0]);

        there.resume(a.token()).unwrap().logout().unwrap();
        let pair = (ann.id, carol.id);
        assert_eq!(a.create_as_read(pair, &session, clock.now()).unwrap(), None);
        assert!(matches!(
            a.create_thread(&[ann.id, carol.id]),
            Err(Error::SessionInvalid)
        ));
        let a = here.login("ann@example.com", "ann password").unwrap();
        assert_eq!(inbox(&a), vec![made.id.0]);
    });
}

#[test]
fn a_due_refresh_of_last_used_takes_the_locked_path() {
    on_each_backend(|location| {
        let clock = Arc::new(ManualClock::new(start()));
        let store = open(location, &clock);
        let (ann, a) = user(&store, "ann");
        let (bob, _) = user(&store, "bob");
        let session = session_row(&a);

        clock.advance(Duration::minutes(2));
        let pair = (ann.id, bob.id);
        assert_eq!(a.create_as_read(pair, &session, clock.now()).unwrap(), None);
        assert!(inbox(&a).is_empty());
        let (_, created) = a.create_thread(&[ann.id, bob.id]).unwrap();
        assert!(created);
        let mine = a
            .sessions()
            .unwrap()
            .into_iter()
            .find(|s| s.current)
            .unwrap();
        assert_eq!(mine.last_used_at, clock.now());
    });
}
