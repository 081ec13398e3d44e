//! Many threads on one store, and two stores (as two processes would) on one file.

mod common;

use chatcore::{Config, MessageQuery, Store};
use common::*;
use std::collections::HashSet;
use std::sync::{Arc, Barrier};

fn eight_threads_creating_the_same_pair_make_one_thread(tb: &TestBackend) {
    let (_path, store) = tb.shared_store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let session = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let pair = if i % 2 == 0 {
                    [ann.id, bob.id]
                } else {
                    [bob.id, ann.id]
                };
                session.create_thread(&pair).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ids: HashSet<_> = results.iter().map(|(t, _)| t.id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let inbox = a.list_threads(&Default::default()).unwrap();
    assert_eq!(inbox.items.len(), 1);
}
both!(eight_threads_creating_the_same_pair_make_one_thread);

fn eight_threads_sending_store_every_message_once(b: &TestBackend) {
    let (_path, store) = b.shared_store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let session = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                (0..50)
                    .map(|j| session.send(thread.id, &format!("t{i} m{j}")).unwrap().id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut sent = Vec::new();
    for (i, handle) in handles.into_iter().enumerate() {
        let ids = handle.join().unwrap();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "thread {i}'s order kept"
        );
        sent.extend(ids);
    }
    let page = a
        .list_messages(
            thread.id,
            &MessageQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.items.len(), 400);
    let stored: HashSet<_> = page.items.iter().map(|m| m.id).collect();
    assert_eq!(stored, sent.iter().copied().collect());
    assert_eq!(a.unread_count().unwrap(), 200);
    assert_eq!(b.unread_count().unwrap(), 200);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
}
both!(eight_threads_sending_store_every_message_once);

fn two_stores_on_one_file_see_each_other_at_once(b: &TestBackend) {
    let (path, first) = b.shared_store();
    let second = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let (ann, a) = user(&first, "ann");
    let (bob, _) = user(&first, "bob");
    let b = second.login("bob@example.com", PASSWORD).unwrap();
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "across").unwrap();
    assert_eq!(b.unread_count().unwrap(), 1);
    // A logout through one store ends the session for the other at once.
    let a_elsewhere = second.resume(a.token()).unwrap();
    a.logout().unwrap();
    assert!(matches!(
        a_elsewhere.unread_count(),
        Err(chatcore::Error::SessionInvalid)
    ));
}
both!(two_stores_on_one_file_see_each_other_at_once);

fn an_in_memory_store_is_shared_by_its_clones_across_threads(b: &TestBackend) {
    let store = b.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    a.send(thread.id, "hi").unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(b.unread_count().unwrap(), 100);
}
both!(an_in_memory_store_is_shared_by_its_clones_across_threads);
