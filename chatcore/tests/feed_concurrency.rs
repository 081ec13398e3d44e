//! The change feed under concurrent writers (four stores on one location,
//! as four processes would be): a reader following one user's feed with
//! its cursor while they send sees every committed entry exactly once.
//! On PostgreSQL this is what taking the user's row lock before drawing an
//! entry's id buys: ids drawn in one order and committed in another would
//! let the cursor pass an entry that commits later.

mod common;

use chatcore::{ChangeKind, Config, MessageId, Store};
use common::{PASSWORD, TestBackend, user};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const WRITERS: usize = 4;
const SENDS: usize = 60;

/// Follows `session`'s feed from `start` until `done` is set and a page
/// comes back empty; the message ids of its entries of `kind`.
fn follow(
    session: chatcore::Session,
    start: chatcore::ChangeCursor,
    kind: ChangeKind,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<MessageId>> {
    std::thread::spawn(move || {
        let mut cursor = start;
        let mut seen = Vec::new();
        loop {
            let finished = done.load(Ordering::SeqCst);
            let page = session.changes(Some(cursor), Some(500)).unwrap();
            for item in page.items.iter().filter(|item| item.kind == kind) {
                seen.push(item.message_id.unwrap());
            }
            cursor = page.next_cursor;
            if finished && page.items.is_empty() {
                return seen;
            }
        }
    })
}

fn exactly_once(seen: &[MessageId], expected: &BTreeSet<MessageId>) {
    let unique: BTreeSet<MessageId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was seen twice");
    assert_eq!(&unique, expected, "the reader missed entries");
}

/// Writers in four threads with bob send to bob: bob's reader sees each
/// send once.
fn a_reader_following_the_feed_sees_every_entry_once(backend: &TestBackend) {
    let (location, store) = backend.shared_store();
    let (bob, b) = user(&store, "bob");
    let mut senders = Vec::new();
    for n in 0..WRITERS {
        let (someone, _) = user(&store, &format!("writer{n}"));
        let other = Store::open_with(&location, Config::insecure_fast_for_tests()).unwrap();
        let session = other
            .login(&format!("writer{n}@example.com"), PASSWORD)
            .unwrap();
        let (thread, _) = session.create_thread(&[someone.id, bob.id]).unwrap();
        senders.push((other, session, thread.id));
    }
    let done = Arc::new(AtomicBool::new(false));
    let start = b.change_cursor().unwrap();
    let reader = follow(b, start, ChangeKind::MessageSent, Arc::clone(&done));
    let mut sent = BTreeSet::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = senders
            .iter()
            .map(|(_, session, thread)| {
                scope.spawn(move || {
                    (0..SENDS)
                        .map(|i| session.send(*thread, &format!("m{i}")).unwrap().id)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            sent.extend(handle.join().unwrap());
        }
    });
    done.store(true, Ordering::SeqCst);
    exactly_once(&reader.join().unwrap(), &sent);
}
both!(a_reader_following_the_feed_sees_every_entry_once);

/// Four readers in four threads with ann mark ann's messages read at once:
/// ann's read receipts (entries of a user nothing else locks) are each
/// seen once by ann's reader.
fn read_receipts_from_concurrent_readers_are_seen_once(backend: &TestBackend) {
    let (location, store) = backend.shared_store();
    let (ann, a) = user(&store, "ann");
    let mut readers = Vec::new();
    let mut sent = BTreeSet::new();
    for n in 0..WRITERS {
        let (someone, _) = user(&store, &format!("reader{n}"));
        let (thread, _) = a.create_thread(&[ann.id, someone.id]).unwrap();
        let ids: Vec<MessageId> = (0..SENDS)
            .map(|i| a.send(thread.id, &format!("m{i}")).unwrap().id)
            .collect();
        sent.extend(ids.iter().copied());
        let other = Store::open_with(&location, Config::insecure_fast_for_tests()).unwrap();
        let session = other
            .login(&format!("reader{n}@example.com"), PASSWORD)
            .unwrap();
        readers.push((other, session, ids));
    }
    let done = Arc::new(AtomicBool::new(false));
    let start = a.change_cursor().unwrap();
    let follower = follow(a, start, ChangeKind::MessageRead, Arc::clone(&done));
    std::thread::scope(|scope| {
        for (_, session, ids) in &readers {
            scope.spawn(move || {
                for id in ids {
                    session.mark_read(*id).unwrap();
                }
            });
        }
    });
    done.store(true, Ordering::SeqCst);
    exactly_once(&follower.join().unwrap(), &sent);
}
both!(read_receipts_from_concurrent_readers_are_seen_once);
