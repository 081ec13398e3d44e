//! The feed follows a message's life (issue 17 item 5): an edit and a
//! withdrawal are entries for both participants, carrying the message as
//! it now is; a clear is an entry for the one who cleared; a refused edit,
//! withdrawal or clear writes nothing.

mod common;

use chatcore::{ChangeKind, Error, Session};
use common::*;

fn after(session: &Session, cursor: chatcore::ChangeCursor) -> Vec<chatcore::Change> {
    session
        .changes_iter(Some(cursor), Some(5))
        .collect::<chatcore::Result<Vec<_>>>()
        .unwrap()
}

fn edits_withdrawals_and_clears_are_in_the_feed_of_whom_they_concern(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "see you at 5").unwrap();
    let (from_a, from_b) = (a.change_cursor().unwrap(), b.change_cursor().unwrap());

    a.edit_message(sent.id, "see you at 6").unwrap();
    a.delete_message(sent.id).unwrap();
    // A second withdrawal changes nothing and writes nothing.
    a.delete_message(sent.id).unwrap();
    b.clear_thread(thread.id).unwrap();
    // Clearing again with no new message changes nothing.
    b.clear_thread(thread.id).unwrap();

    for (session, cursor) in [(&a, from_a), (&b, from_b)] {
        let items = after(session, cursor);
        let kinds: Vec<_> = items.iter().map(|c| c.kind).collect();
        let mut expected = vec![ChangeKind::MessageEdited, ChangeKind::MessageDeleted];
        if session.user_id() == bob.id {
            expected.push(ChangeKind::ThreadCleared);
        }
        assert_eq!(kinds, expected, "feed of user {:?}", session.user_id());
        let edited = &items[0];
        assert_eq!(edited.message_id, Some(sent.id));
        assert_eq!(edited.actor_id, Some(ann.id));
        assert_eq!(edited.thread_id, Some(thread.id));
        // Joined as it is now: withdrawn since, so the tombstone.
        let now = edited.message.as_ref().unwrap();
        assert!(now.deleted_at.is_some());
        assert_eq!(now.text, "");
        assert_eq!(items[1].message.as_ref().unwrap().id, sent.id);
    }
    let cleared = after(&b, from_b).pop().unwrap();
    assert_eq!(cleared.message_id, Some(sent.id), "the clear mark");
    assert_eq!(cleared.actor_id, Some(bob.id));
}
both!(edits_withdrawals_and_clears_are_in_the_feed_of_whom_they_concern);

fn refused_changes_write_nothing(backend: &TestBackend) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (cat, c) = user(&store, "cat");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "mine").unwrap();
    let cursors = [
        a.change_cursor().unwrap(),
        b.change_cursor().unwrap(),
        c.change_cursor().unwrap(),
    ];
    assert!(matches!(
        b.edit_message(sent.id, "not yours"),
        Err(Error::NotSender)
    ));
    assert!(matches!(b.delete_message(sent.id), Err(Error::NotSender)));
    assert!(c.clear_thread(thread.id).is_err());
    assert!(a.edit_message(sent.id, "").is_err());
    for (session, cursor) in [(&a, cursors[0]), (&b, cursors[1]), (&c, cursors[2])] {
        assert!(after(session, cursor).is_empty());
    }
    let _ = cat;
}
both!(refused_changes_write_nothing);
