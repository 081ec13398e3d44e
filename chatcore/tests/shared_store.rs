//! One store opened by several `Store`s at once, each with its own
//! connections, as separate processes (or hosts) would: on SQLite one
//! file, on PostgreSQL one schema. The guarantees of issue 14: one thread
//! per pair, exact unread counters under concurrent sends and marks, a
//! taken email refused (never a half-made account), logouts seen at once.

mod common;

use chatcore::{Config, Error, MessageQuery, NewUser, Store, ThreadQuery};
use common::*;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};

/// `n` stores on the same location, each with its own pool.
fn stores(path: &PathBuf, n: usize) -> Vec<Store> {
    (0..n)
        .map(|_| Store::open_with(path, Config::insecure_fast_for_tests()).unwrap())
        .collect()
}

/// Runs `each(i, store)` on every store at once (after a barrier).
fn at_once<T: Send + 'static>(
    stores: Vec<Store>,
    each: impl Fn(usize, Store) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(stores.len()));
    let each = Arc::new(each);
    let handles: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, store)| {
            let (barrier, each) = (barrier.clone(), each.clone());
            std::thread::spawn(move || {
                barrier.wait();
                each(i, store)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn create_or_get_from_eight_stores_makes_one_thread(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let results = at_once(stores(&path, 8), move |i, store| {
        let me = if i % 2 == 0 { "ann" } else { "bob" };
        let session = store.login(&format!("{me}@example.com"), PASSWORD).unwrap();
        let pair = match i % 2 {
            0 => [ann.id, bob.id],
            _ => [bob.id, ann.id],
        };
        session.create_thread(&pair).unwrap()
    });
    let first = results[0].0.id;
    assert!(results.iter().all(|(thread, _)| thread.id == first));
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let inbox = a.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(inbox.items.len(), 1);
}
both!(create_or_get_from_eight_stores_makes_one_thread);

fn unread_counters_stay_exact_under_concurrent_sends_and_marks(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let names = ["ann", "bob", "cyd", "dan"];
    let users: Vec<_> = names.iter().map(|name| user(&store, name)).collect();
    // Everyone writes to bob, in three threads, while bob marks them read.
    let bob = users[1].0.id;
    let threads: Vec<_> = [0, 2, 3]
        .iter()
        .map(|&i| {
            users[i]
                .1
                .create_thread(&[users[i].0.id, bob])
                .unwrap()
                .0
                .id
        })
        .collect();
    let threads = Arc::new(threads);
    at_once(stores(&path, 6), move |i, store| {
        let (name, thread) = match i {
            0..=3 => {
                let sender = ["ann", "cyd", "dan", "ann"][i];
                let thread = threads[[0, 1, 2, 0][i]];
                (sender, thread)
            }
            _ => ("bob", threads[i - 4]),
        };
        let session = store
            .login(&format!("{name}@example.com"), PASSWORD)
            .unwrap();
        for n in 0..40 {
            if name == "bob" {
                session.mark_thread_read(thread, None).unwrap();
                let newest = session
                    .list_messages(
                        thread,
                        &MessageQuery {
                            limit: Some(1),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                if let Some(message) = newest.items.first() {
                    session.mark_read(message.id).unwrap();
                }
            } else {
                session.send(thread, &format!("{name} {n}")).unwrap();
            }
        }
    });
    let report = store.verify_unread().unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    // Bob's total is exactly his unread messages, counted one by one.
    let bob_session = &users[1].1;
    let mut unread = 0;
    for thread in bob_session
        .list_threads(&ThreadQuery::default())
        .unwrap()
        .items
    {
        let page = bob_session
            .list_messages(
                thread.thread.id,
                &MessageQuery {
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .unwrap();
        let here = page
            .items
            .iter()
            .filter(|m| m.sender_id != bob && m.read_at.is_none())
            .count() as u64;
        assert_eq!(thread.unread_count, here);
        unread += here;
    }
    assert_eq!(bob_session.unread_count().unwrap(), unread);
    assert_eq!(
        bob_session
            .list_threads(&ThreadQuery::default())
            .unwrap()
            .items
            .len(),
        3
    );
}
both!(unread_counters_stay_exact_under_concurrent_sends_and_marks);

fn one_email_registered_from_eight_stores_at_once_makes_one_account(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let results = at_once(stores(&path, 8), |i, store| {
        store
            .register(&NewUser {
                email: "ann@example.com",
                username: &format!("ann{i}"),
                password: PASSWORD,
                ..Default::default()
            })
            .map(|user| user.id)
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for result in &results {
        if let Err(err) = result {
            assert!(matches!(err, Error::EmailTaken), "{err}");
        }
    }
    let session = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(session.store().path().is_some(), !b.is_postgres());
}
both!(one_email_registered_from_eight_stores_at_once_makes_one_account);

fn a_logout_is_seen_by_every_other_store_at_its_next_call(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let (_, a) = user(&store, "ann");
    let others = stores(&path, 3);
    let elsewhere: Vec<_> = others
        .iter()
        .map(|s| s.resume(a.token()).unwrap())
        .collect();
    for session in &elsewhere {
        session.unread_count().unwrap();
    }
    a.logout().unwrap();
    for session in &elsewhere {
        assert!(matches!(session.unread_count(), Err(Error::SessionInvalid)));
        assert!(matches!(session.me(), Err(Error::SessionInvalid)));
    }
}
both!(a_logout_is_seen_by_every_other_store_at_its_next_call);
