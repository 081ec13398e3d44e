//! Issue 17 item 4: clear for me. Every step's unread counters are checked
//! against the messages with `verify_unread`.

mod common;
mod life_support;

use chatcore::{Error, MessageId, MessageQuery, ThreadId};
use chrono::Duration;
use common::{TestBackend, user};
use life_support::*;

// ---------------------------------------------------------------------------
// Clear for me

fn clearing_hides_my_history_and_counts_and_a_new_message_brings_it_back(backend: &TestBackend) {
    let (clock, store) = clocked(backend);
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (cid, c) = user(&store, "cid");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (other, _) = c.create_thread(&[cid.id, bob.id]).unwrap();
    let old1 = a.send(thread.id, "old one").unwrap();
    let old2 = b.send(thread.id, "my reply").unwrap();
    let old3 = a.send(thread.id, "old three").unwrap();
    c.send(other.id, "elsewhere").unwrap();
    clock.advance(Duration::seconds(1));
    assert_eq!(b.unread_count().unwrap(), 3);
    exact(&store);

    let before_ann = history(&a, thread.id);
    let ann_summary = a.thread_summary(thread.id).unwrap();
    assert_eq!(b.clear_thread(thread.id).unwrap(), old3.id);
    exact(&store);
    assert_eq!(
        b.unread_count().unwrap(),
        1,
        "the other thread still counts"
    );
    assert!(history(&b, thread.id).is_empty());
    assert_eq!(inbox_ids(&b), vec![other.id]);
    let summary = b.thread_summary(thread.id).unwrap();
    assert_eq!(summary.last_message, None);
    assert_eq!(summary.unread_count, 0);
    // Hidden messages are not there for me.
    assert!(matches!(
        b.mark_read(old1.id),
        Err(Error::MessageNotFound(_))
    ));
    assert!(matches!(
        b.edit_message(old2.id, "x"),
        Err(Error::MessageNotFound(_))
    ));
    assert!(matches!(
        b.delete_message(old2.id),
        Err(Error::MessageNotFound(_))
    ));
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 0);
    exact(&store);
    // The other participant sees nothing change, read receipts included.
    assert_eq!(history(&a, thread.id), before_ann);
    assert_eq!(a.thread_summary(thread.id).unwrap(), ann_summary);
    assert!(inbox_ids(&a).contains(&thread.id));
    // Clearing again changes nothing.
    assert_eq!(b.clear_thread(thread.id).unwrap(), old3.id);
    exact(&store);

    // A new message brings the thread back with only the new messages.
    clock.advance(Duration::seconds(1));
    let fresh = a.send(thread.id, "are you there?").unwrap();
    assert_eq!(inbox_ids(&b), vec![thread.id, other.id]);
    assert_eq!(history(&b, thread.id), vec![fresh.clone()]);
    let summary = b.thread_summary(thread.id).unwrap();
    assert_eq!(summary.last_message, Some(fresh.clone()));
    assert_eq!(summary.unread_count, 1);
    assert_eq!(b.unread_count().unwrap(), 2);
    exact(&store);
    assert_eq!(b.mark_thread_read(thread.id, None).unwrap(), 1);
    assert_eq!(b.unread_count().unwrap(), 1);
    exact(&store);
    // Withdrawing a message hidden from the recipient changes no count.
    a.delete_message(old1.id).unwrap();
    exact(&store);
    assert_eq!(history(&a, thread.id).len(), 4);
}
both!(clearing_hides_my_history_and_counts_and_a_new_message_brings_it_back);

fn paging_across_the_clear_mark_is_exact(backend: &TestBackend) {
    let p = pair(backend);
    let ids: Vec<MessageId> = (0..6)
        .map(|n| p.a.send(p.thread, &format!("m{n}")).unwrap().id)
        .collect();
    p.b.clear_thread(p.thread).unwrap();
    let kept: Vec<MessageId> = (6..9)
        .map(|n| p.a.send(p.thread, &format!("m{n}")).unwrap().id)
        .collect();
    let page = |q: MessageQuery| p.b.list_messages(p.thread, &q).unwrap();
    let latest = page(MessageQuery {
        limit: Some(2),
        ..Default::default()
    });
    assert_eq!(
        latest.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        kept[1..]
    );
    assert!(latest.has_more);
    let older = page(MessageQuery {
        before: Some(kept[1]),
        limit: Some(2),
        ..Default::default()
    });
    assert_eq!(
        older.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        kept[..1]
    );
    assert!(!older.has_more, "nothing visible lies beyond");
    let exactly_one = page(MessageQuery {
        before: Some(kept[1]),
        limit: Some(1),
        ..Default::default()
    });
    assert!(!exactly_one.has_more);
    let after = page(MessageQuery {
        after: Some(ids[0]),
        limit: Some(2),
        ..Default::default()
    });
    assert_eq!(
        after.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        kept[..2]
    );
    assert!(after.has_more);
    // The sender still pages through everything.
    assert_eq!(history(&p.a, p.thread).len(), 9);
}
both!(paging_across_the_clear_mark_is_exact);

fn clearing_an_empty_thread_hides_it_until_its_first_message(backend: &TestBackend) {
    let p = pair(backend);
    assert_eq!(p.b.clear_thread(p.thread).unwrap(), MessageId(0));
    assert!(inbox_ids(&p.b).is_empty());
    assert_eq!(inbox_ids(&p.a), vec![p.thread]);
    let first = p.a.send(p.thread, "hello").unwrap();
    assert_eq!(inbox_ids(&p.b), vec![p.thread]);
    assert_eq!(history(&p.b, p.thread), vec![first]);
    exact(&p.store);
}
both!(clearing_an_empty_thread_hides_it_until_its_first_message);

fn clear_refuses_other_peoples_and_unknown_threads(backend: &TestBackend) {
    let p = pair(backend);
    p.a.send(p.thread, "ours").unwrap();
    let (_, c) = user(&p.store, "cid");
    assert!(matches!(
        c.clear_thread(p.thread),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        p.a.clear_thread(ThreadId(777)),
        Err(Error::ThreadNotFound(777))
    ));
    assert_eq!(history(&p.a, p.thread).len(), 1);
    assert_eq!(p.b.unread_count().unwrap(), 1);
    exact(&p.store);
}
both!(clear_refuses_other_peoples_and_unknown_threads);

fn delete_thread_still_deletes_for_both_after_a_clear(backend: &TestBackend) {
    let p = pair(backend);
    p.a.send(p.thread, "x").unwrap();
    p.b.clear_thread(p.thread).unwrap();
    p.a.send(p.thread, "y").unwrap();
    p.a.delete_thread(p.thread).unwrap();
    assert!(inbox_ids(&p.a).is_empty() && inbox_ids(&p.b).is_empty());
    assert_eq!(p.b.unread_count().unwrap(), 0);
    exact(&p.store);
}
both!(delete_thread_still_deletes_for_both_after_a_clear);
