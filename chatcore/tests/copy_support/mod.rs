//! The populated source store and the comparisons of the copy tests.
#![allow(dead_code)]

use crate::common::{PASSWORD, user};
use chatcore::{BulkMessage, MessageQuery, Store, ThreadQuery};
use chrono::{Duration, Utc};

/// A store with everything a copy must keep: hashes, live and logged-out
/// sessions, a deleted thread (gaps in the ids), keyed sends, single and
/// backlog read marks, edits, withdrawn messages, a clear mark, and a
/// thread of 6,100 bulk-loaded messages (more than one write batch), some
/// read.
pub struct Source {
    pub store: Store,
    pub tokens: Vec<String>,
}

pub fn populate(store: Store) -> Source {
    let (ann, ann_s) = user(&store, "ann");
    let (bob, bob_s) = user(&store, "bob");
    let (cat, cat_s) = user(&store, "cat");
    let (dan, dan_s) = user(&store, "dan");
    let gone = store.login("dan@example.com", PASSWORD).unwrap();
    gone.logout().unwrap();

    let (ab, _) = ann_s.create_thread(&[ann.id, bob.id]).unwrap();
    let (doomed, _) = ann_s.create_thread(&[ann.id, dan.id]).unwrap();
    ann_s.send(doomed.id, "soon gone").unwrap();
    ann_s.delete_thread(doomed.id).unwrap();
    let (bc, _) = bob_s.create_thread(&[bob.id, cat.id]).unwrap();
    let (cd, _) = cat_s.create_thread(&[cat.id, dan.id]).unwrap();

    let mut sent = Vec::new();
    for n in 0..7 {
        sent.push(ann_s.send(ab.id, &format!("ann {n}")).unwrap().id);
        sent.push(bob_s.send(ab.id, &format!("bob {n}")).unwrap().id);
    }
    ann_s.send_with_key(ab.id, "hello once", "key-1").unwrap();
    let first = bob_s.send_with_key(bc.id, "keyed", "key-2").unwrap();
    bob_s.send(bc.id, "plain").unwrap();
    cat_s.mark_read(first.0.id).unwrap();
    let page = bob_s
        .list_messages(ab.id, &MessageQuery::default())
        .unwrap();
    let middle = page.items[page.items.len() / 2].id;
    bob_s.mark_thread_read(ab.id, Some(middle)).unwrap();
    // A message's life: an edit, an edited message withdrawn, an unread
    // one withdrawn, and a thread cleared by one participant.
    ann_s.edit_message(sent[12], "ann 6, fixed").unwrap();
    ann_s.edit_message(sent[2], "ann 1, fixed").unwrap();
    ann_s.delete_message(sent[2]).unwrap();
    bob_s.delete_message(sent[13]).unwrap();
    cat_s.clear_thread(bc.id).unwrap();

    let start = Utc::now() - Duration::days(3);
    store
        .bulk_load(|bulk| {
            for n in 0..6_100i64 {
                let sender = if n % 3 == 0 { cat.id } else { dan.id };
                bulk.add_message(&BulkMessage {
                    thread_id: cd.id,
                    sender_id: sender,
                    text: &format!("bulk {n}"),
                    created_at: start + Duration::seconds(n),
                    read_at: (n < 4_000).then(|| start + Duration::seconds(n + 1)),
                })?;
            }
            Ok(())
        })
        .unwrap();
    dan_s.send(cd.id, "latest").unwrap();

    let tokens = [ann_s, bob_s, cat_s, dan_s]
        .iter()
        .map(|session| session.token().to_string())
        .collect();
    Source { store, tokens }
}

pub fn ndjson(store: &Store, token: &str) -> String {
    let mut out = Vec::new();
    store
        .resume(token)
        .unwrap()
        .export_ndjson(&mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

pub fn django(store: &Store) -> String {
    let mut out = Vec::new();
    store.export_django(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The first line where two exports differ, for a readable failure.
pub fn assert_lines_eq(left: &str, right: &str) {
    for (n, (a, b)) in left.lines().zip(right.lines()).enumerate() {
        assert_eq!(a, b, "line {n}");
    }
    assert_eq!(left.lines().count(), right.lines().count());
}

pub fn inbox(store: &Store, token: &str) -> String {
    let session = store.resume(token).unwrap();
    let page = session.list_threads(&ThreadQuery::default()).unwrap();
    serde_json::to_string(&page.items).unwrap()
}

/// Everything a user can see, per user, and the whole-store export.
pub fn assert_same(source: &Source, copy: &Store) {
    assert_lines_eq(&django(&source.store), &django(copy));
    for token in &source.tokens {
        assert_lines_eq(&ndjson(&source.store, token), &ndjson(copy, token));
        assert_eq!(inbox(&source.store, token), inbox(copy, token));
        let (here, there) = (
            source.store.resume(token).unwrap(),
            copy.resume(token).unwrap(),
        );
        assert_eq!(here.unread_count().unwrap(), there.unread_count().unwrap());
        let ids = |session: &chatcore::Session| {
            let mut ids: Vec<_> = session.sessions().unwrap().iter().map(|s| s.id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&here), ids(&there));
    }
    assert!(copy.verify_unread().unwrap().mismatches.is_empty());
}

/// A follower of `source`'s change feed, moved to `copy`: a cursor from
/// before the source's last entry has expired there (the entries are not
/// copied; never a silent gap), the source's newest cursor goes on, and a
/// change made in the copy comes after it (ann's and bob's sessions).
pub fn assert_feed_goes_on(source: &Source, copy: &Store) {
    use chatcore::ChangeKind;
    let ann_source = source.store.resume(&source.tokens[0]).unwrap();
    let first = ann_source.changes(None, None).unwrap();
    assert!(first.items.len() > 2, "the source's feed has entries");
    let older = first.items[0].cursor;
    let mut newest = first.next_cursor;
    let mut more = first.has_more;
    while more {
        let page = ann_source.changes(Some(newest), None).unwrap();
        (newest, more) = (page.next_cursor, page.has_more);
    }

    let ann = copy.resume(&source.tokens[0]).unwrap();
    let err = ann.changes(Some(older), None).unwrap_err();
    assert_eq!(err.code(), "changes_expired", "{err}");
    let page = ann.changes(Some(newest), None).unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next_cursor, newest);

    let bob = copy.resume(&source.tokens[1]).unwrap();
    let (thread, created) = ann.create_thread(&[ann.user_id(), bob.user_id()]).unwrap();
    assert!(!created);
    let sent = bob.send(thread.id, "after the move").unwrap();
    let page = ann.changes(Some(newest), None).unwrap();
    assert_eq!(page.items.len(), 1, "{:?}", page.items);
    let change = &page.items[0];
    assert_eq!(change.kind, ChangeKind::MessageSent);
    assert_eq!(change.message.as_ref().map(|m| m.id), Some(sent.id));
    assert!(change.cursor.raw() > newest.raw());
}
