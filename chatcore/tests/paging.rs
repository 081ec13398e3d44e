//! History and inbox paging: exact limits, no duplicates or gaps, both
//! directions, stable under concurrent sends.

mod common;

use chatcore::{Config, ManualClock, MessageId, MessageQuery, ThreadQuery};
use chrono::{Duration, TimeZone, Utc};
use common::*;
use std::collections::HashSet;
use std::sync::Arc;

fn history_pages_backwards_without_gaps_or_duplicates(b: &TestBackend) {
    let store = b.store();
    let (ann, s) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = s.create_thread(&[ann.id, bob.id]).unwrap();
    let sent: Vec<MessageId> = (0..23)
        .map(|i| s.send(thread.id, &format!("m{i}")).unwrap().id)
        .collect();

    let mut seen = Vec::new();
    let mut query = MessageQuery {
        limit: Some(5),
        ..Default::default()
    };
    let mut pages = 0;
    loop {
        let page = s.list_messages(thread.id, &query).unwrap();
        pages += 1;
        assert!(page.items.len() <= 5);
        assert!(
            page.items.windows(2).all(|w| w[0].id < w[1].id),
            "ascending within a page"
        );
        let Some(oldest) = page.items.first() else {
            break;
        };
        query.before = Some(oldest.id);
        let mut ids: Vec<_> = page.items.iter().map(|m| m.id).collect();
        ids.extend(seen);
        seen = ids;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 5, "23 messages in pages of 5: 5,5,5,5,3");
    assert_eq!(seen, sent);
}
both!(history_pages_backwards_without_gaps_or_duplicates);

fn history_pages_forwards_without_gaps_or_duplicates(b: &TestBackend) {
    let store = b.store();
    let (ann, s) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = s.create_thread(&[ann.id, bob.id]).unwrap();
    let sent: Vec<MessageId> = (0..10)
        .map(|i| s.send(thread.id, &format!("m{i}")).unwrap().id)
        .collect();
    let mut seen = Vec::new();
    let mut after = MessageId(0);
    loop {
        let page = s
            .list_messages(
                thread.id,
                &MessageQuery {
                    after: Some(after),
                    limit: Some(4),
                    ..Default::default()
                },
            )
            .unwrap();
        seen.extend(page.items.iter().map(|m| m.id));
        match page.items.last() {
            Some(last) if page.has_more => after = last.id,
            _ => break,
        }
    }
    assert_eq!(seen, sent);
    // An exact fit: 10 messages with limit 10 has nothing more.
    let all = s
        .list_messages(
            thread.id,
            &MessageQuery {
                limit: Some(10),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(all.items.len(), 10);
    assert!(!all.has_more);
    let nine = s
        .list_messages(
            thread.id,
            &MessageQuery {
                limit: Some(9),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(nine.has_more);
    assert_eq!(nine.items.first().unwrap().id, sent[1], "the newest nine");
}
both!(history_pages_forwards_without_gaps_or_duplicates);

fn history_is_per_thread(b: &TestBackend) {
    let store = b.store();
    let (ann, s) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (cy, _) = user(&store, "cy");
    let (with_bob, _) = s.create_thread(&[ann.id, bob.id]).unwrap();
    let (with_cy, _) = s.create_thread(&[ann.id, cy.id]).unwrap();
    for i in 0..6 {
        s.send(with_bob.id, &format!("bob {i}")).unwrap();
        s.send(with_cy.id, &format!("cy {i}")).unwrap();
    }
    let page = s
        .list_messages(with_bob.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items.len(), 6);
    assert!(page.items.iter().all(|m| m.thread_id == with_bob.id));
}
both!(history_is_per_thread);

fn paging_is_stable_under_concurrent_sends(b: &TestBackend) {
    let (_path, store) = b.shared_store();
    let (ann, s) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = s.create_thread(&[ann.id, bob.id]).unwrap();
    let first: Vec<MessageId> = (0..40)
        .map(|i| s.send(thread.id, &format!("old {i}")).unwrap().id)
        .collect();
    let writer = std::thread::spawn(move || {
        for i in 0..40 {
            b.send(thread.id, &format!("new {i}")).unwrap();
        }
    });
    // Page backwards from the oldest page seen first: new messages arrive
    // above it and never disturb what lies below.
    let top = s
        .list_messages(
            thread.id,
            &MessageQuery {
                limit: Some(7),
                ..Default::default()
            },
        )
        .unwrap();
    let mut seen: Vec<MessageId> = top.items.iter().map(|m| m.id).collect();
    let mut before = top.items.first().unwrap().id;
    loop {
        let page = s
            .list_messages(
                thread.id,
                &MessageQuery {
                    before: Some(before),
                    limit: Some(7),
                    ..Default::default()
                },
            )
            .unwrap();
        if page.items.is_empty() {
            break;
        }
        before = page.items.first().unwrap().id;
        let mut ids: Vec<_> = page.items.iter().map(|m| m.id).collect();
        ids.extend(seen);
        seen = ids;
    }
    writer.join().unwrap();
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(&seen[..40], &first[..], "every old message, in order");
}
both!(paging_is_stable_under_concurrent_sends);

fn inbox_pages_newest_activity_first_without_gaps(b: &TestBackend) {
    // Activity is ordered by time (ties within a millisecond by thread id),
    // so the clock moves a second between steps.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let store = b.store_with(Config::insecure_fast_for_tests().clock(clock.clone()));
    let (me, s) = user(&store, "me");
    let mut threads = Vec::new();
    for i in 0..12 {
        let (other, _) = user(&store, &format!("friend{i}"));
        let (thread, _) = s.create_thread(&[me.id, other.id]).unwrap();
        threads.push(thread.id);
        clock.advance(Duration::seconds(1));
    }
    // Activity on an older thread moves it to the top.
    s.send(threads[3], "bump").unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .list_threads(&ThreadQuery {
                cursor: cursor.as_deref(),
                limit: Some(5),
            })
            .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|t| t.thread.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    assert_eq!(seen[0], threads[3]);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 12);
    let first = s.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(first.items[0].last_message.as_ref().unwrap().text, "bump");
    assert!(first.items[1].last_message.is_none());
    assert_eq!(first.items[0].other.username, "friend3");
}
both!(inbox_pages_newest_activity_first_without_gaps);

fn inbox_shows_my_unread_count_per_thread(b: &TestBackend) {
    let store = b.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "1").unwrap();
    a.send(thread.id, "2").unwrap();
    let bobs = b.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(bobs.items[0].unread_count, 2);
    let anns = a.list_threads(&ThreadQuery::default()).unwrap();
    assert_eq!(anns.items[0].unread_count, 0, "never my own messages");
    // One entry on its own is the same as in the list.
    assert_eq!(b.thread_summary(thread.id).unwrap(), bobs.items[0]);
    assert_eq!(a.thread_summary(thread.id).unwrap(), anns.items[0]);
    assert_eq!(bobs.items[0].last_message.as_ref().unwrap().text, "2");
}
both!(inbox_shows_my_unread_count_per_thread);
