//! A message's life under concurrent writers (two stores on one location,
//! as two processes would be): a withdrawal racing the recipient's read
//! marks, and an edit racing a withdrawal, keep the counters exact and
//! never bring a withdrawn text back.

mod common;

use chatcore::{Config, MessageId, MessageQuery, Store};
use common::{PASSWORD, TestBackend, user};
use std::sync::{Arc, Barrier};

const ROUNDS: usize = 40;

fn withdrawals_racing_read_marks_keep_the_counters_exact(backend: &TestBackend) {
    let (location, store) = backend.shared_store();
    let other = Store::open_with(&location, Config::insecure_fast_for_tests()).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let b = other.login("bob@example.com", PASSWORD).unwrap();
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for round in 0..ROUNDS {
        let ids: Vec<MessageId> = (0..3)
            .map(|n| a.send(thread.id, &format!("r{round} m{n}")).unwrap().id)
            .collect();
        let barrier = Arc::new(Barrier::new(2));
        std::thread::scope(|scope| {
            let reader = {
                let barrier = barrier.clone();
                let b = &b;
                let ids = &ids;
                scope.spawn(move || {
                    barrier.wait();
                    b.mark_read(ids[0]).unwrap();
                    b.mark_thread_read(thread.id, None).unwrap();
                })
            };
            barrier.wait();
            for id in &ids {
                a.delete_message(*id).unwrap();
            }
            reader.join().unwrap();
        });
        let report = store.verify_unread().unwrap();
        assert!(report.mismatches.is_empty(), "round {round}: {report:?}");
        assert_eq!(b.unread_count().unwrap(), 0, "round {round}");
    }
}
both!(withdrawals_racing_read_marks_keep_the_counters_exact);

fn an_edit_racing_a_withdrawal_never_brings_the_text_back(backend: &TestBackend) {
    let (location, store) = backend.shared_store();
    let other = Store::open_with(&location, Config::insecure_fast_for_tests()).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let a2 = other.login("ann@example.com", PASSWORD).unwrap();
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for round in 0..ROUNDS {
        let id = a.send(thread.id, &format!("round {round}")).unwrap().id;
        let barrier = Arc::new(Barrier::new(2));
        std::thread::scope(|scope| {
            let editor = {
                let barrier = barrier.clone();
                let a2 = &a2;
                scope.spawn(move || {
                    barrier.wait();
                    // Refused once the withdrawal is in; either way no error
                    // but that one.
                    if let Err(err) = a2.edit_message(id, "edited") {
                        assert_eq!(err.code(), "invalid_argument", "{err}");
                    }
                })
            };
            barrier.wait();
            a.delete_message(id).unwrap();
            editor.join().unwrap();
        });
        let page = b
            .list_messages(thread.id, &MessageQuery::default())
            .unwrap();
        let message = page.items.iter().find(|m| m.id == id).unwrap();
        assert!(message.deleted_at.is_some(), "round {round}");
        assert_eq!(
            message.text, "",
            "round {round}: a withdrawn text came back"
        );
    }
    let report = store.verify_unread().unwrap();
    assert!(report.mismatches.is_empty(), "{report:?}");
}
both!(an_edit_racing_a_withdrawal_never_brings_the_text_back);
