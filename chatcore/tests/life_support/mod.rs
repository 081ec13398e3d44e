//! A store on a manual clock, two users with a thread, and the checks the
//! message-life tests share.
#![allow(dead_code)]

use crate::common::{TestBackend, user};
use chatcore::{Config, ManualClock, Message, MessageQuery, Session, Store, ThreadId, ThreadQuery};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

pub fn clocked(backend: &TestBackend) -> (Arc<ManualClock>, Store) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    ));
    let store = backend.store_with(Config::insecure_fast_for_tests().clock(clock.clone()));
    (clock, store)
}

pub struct Pair {
    pub clock: Arc<ManualClock>,
    pub store: Store,
    pub a: Session,
    pub b: Session,
    pub thread: ThreadId,
}

pub fn pair(backend: &TestBackend) -> Pair {
    let (clock, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    Pair {
        clock,
        store,
        a,
        b,
        thread: thread.id,
    }
}

pub fn exact(store: &Store) {
    let report = store.verify_unread().unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

pub fn history(session: &Session, thread: ThreadId) -> Vec<Message> {
    session
        .list_messages(thread, &MessageQuery::default())
        .unwrap()
        .items
}

pub fn inbox_ids(session: &Session) -> Vec<ThreadId> {
    session
        .list_threads(&ThreadQuery::default())
        .unwrap()
        .items
        .iter()
        .map(|s| s.thread.id)
        .collect()
}
