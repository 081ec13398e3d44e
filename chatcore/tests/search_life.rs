//! Search follows a message's life (issue 17 item 5): an edit is found by
//! its new text only, a withdrawn message is gone from everyone's results,
//! and a clear hides the thread's earlier messages from the clearer only.

mod common;

use chatcore::{SearchQuery, Session};
use common::*;

fn texts(session: &Session, text: &str) -> Vec<String> {
    session
        .search(&SearchQuery {
            text,
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|hit| hit.message.text)
        .collect()
}

fn an_edit_is_found_by_its_new_text_only(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "meet at the harbour").unwrap();
    a.edit_message(sent.id, "meet at the station").unwrap();
    assert!(texts(&a, "harbour").is_empty());
    assert!(texts(&b, "harbour").is_empty());
    assert_eq!(texts(&b, "station"), vec!["meet at the station"]);
}
both!(an_edit_is_found_by_its_new_text_only);

fn a_withdrawn_message_is_gone_from_every_result(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "the vault code is 1234").unwrap();
    a.send(thread.id, "the vault is closed").unwrap();
    a.delete_message(sent.id).unwrap();
    assert_eq!(texts(&a, "vault"), vec!["the vault is closed"]);
    assert_eq!(texts(&b, "vault"), vec!["the vault is closed"]);
    assert!(texts(&b, "1234").is_empty());
}
both!(a_withdrawn_message_is_gone_from_every_result);

fn a_clear_hides_earlier_messages_from_the_clearer_only(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "picnic on sunday").unwrap();
    b.clear_thread(thread.id).unwrap();
    assert!(texts(&b, "picnic").is_empty());
    assert_eq!(texts(&a, "picnic"), vec!["picnic on sunday"]);
    a.send(thread.id, "picnic moved to monday").unwrap();
    assert_eq!(texts(&b, "picnic"), vec!["picnic moved to monday"]);
    assert_eq!(texts(&a, "picnic").len(), 2);
}
both!(a_clear_hides_earlier_messages_from_the_clearer_only);
