//! Issue 17 items 2 and 3: edit and delete for everyone (withdraw), and
//! what the exports keep of them; clear for me is in `message_clear.rs`.
//! Every step's unread counters are checked against the messages with
//! `verify_unread`.

mod common;
mod life_support;

use chatcore::{Config, Error, ManualClock, MessageId, MessageQuery, ThreadQuery};
use chrono::{Duration, TimeZone, Utc};
use common::{TestBackend, user};
use life_support::*;
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Edit

fn the_sender_edits_in_place_and_read_state_stays(backend: &TestBackend) {
    let p = pair(backend);
    let first = p.a.send(p.thread, "see you at 8").unwrap();
    let second = p.a.send(p.thread, "bring cake").unwrap();
    p.b.mark_read(first.id).unwrap();
    p.clock.advance(Duration::minutes(5));
    let edited = p.a.edit_message(first.id, "see you at 9").unwrap();
    assert_eq!(edited.id, first.id);
    assert_eq!(edited.text, "see you at 9");
    assert_eq!(edited.created_at, first.created_at);
    assert_eq!(edited.edited_at, Some(p.clock.now_for_test()));
    assert!(edited.read_at.is_some(), "read state unchanged");
    for session in [&p.a, &p.b] {
        let items = history(session, p.thread);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], edited);
        assert_eq!(items[1].id, second.id);
        assert!(items[1].edited_at.is_none());
    }
    assert_eq!(p.b.unread_count().unwrap(), 1);
    exact(&p.store);
    // Editing an unread message keeps it unread.
    p.a.edit_message(second.id, "bring pie").unwrap();
    assert_eq!(p.b.unread_count().unwrap(), 1);
    exact(&p.store);
}
both!(the_sender_edits_in_place_and_read_state_stays);

trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<Utc>;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> chrono::DateTime<Utc> {
        chatcore::Clock::now(self)
    }
}

fn only_the_sender_edits_and_nothing_changes_on_refusal(backend: &TestBackend) {
    let p = pair(backend);
    let sent = p.a.send(p.thread, "mine").unwrap();
    let err = p.b.edit_message(sent.id, "hijacked").unwrap_err();
    assert!(matches!(err, Error::NotSender), "{err:?}");
    assert_eq!(err.code(), "not_sender");
    let (_, c) = user(&p.store, "cid");
    assert!(matches!(
        c.edit_message(sent.id, "x"),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        p.a.edit_message(MessageId(999), "x"),
        Err(Error::MessageNotFound(999))
    ));
    assert!(matches!(
        p.a.edit_message(sent.id, "  "),
        Err(Error::InvalidText(_))
    ));
    assert!(matches!(
        p.a.edit_message(sent.id, "bell \u{7}"),
        Err(Error::InvalidText(_))
    ));
    assert_eq!(history(&p.b, p.thread), vec![sent]);
    exact(&p.store);
}
both!(only_the_sender_edits_and_nothing_changes_on_refusal);

fn the_window_closes_after_48_hours_by_default(backend: &TestBackend) {
    let p = pair(backend);
    let sent = p.a.send(p.thread, "typo").unwrap();
    p.clock.advance(Duration::hours(48));
    p.a.edit_message(sent.id, "at the edge").unwrap();
    p.clock.advance(Duration::milliseconds(1));
    let err = p.a.edit_message(sent.id, "too late").unwrap_err();
    match &err {
        Error::InvalidArgument(text) => {
            assert!(text.contains("48 hours"), "{text}");
            assert!(text.contains(&format!("message {}", sent.id.0)), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p.a.delete_message(sent.id),
        Err(Error::InvalidArgument(_))
    ));
    let items = history(&p.b, p.thread);
    assert_eq!(items[0].text, "at the edge");
    assert!(items[0].deleted_at.is_none());
    exact(&p.store);
}
both!(the_window_closes_after_48_hours_by_default);

fn the_window_is_configurable(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    ));
    let config = Config::insecure_fast_for_tests()
        .clock(clock.clone())
        .edit_window(std::time::Duration::from_secs(600));
    assert_eq!(
        config.edit_window_value(),
        std::time::Duration::from_secs(600)
    );
    assert_eq!(
        Config::default().edit_window_value(),
        std::time::Duration::from_secs(48 * 3600)
    );
    let store = backend.store_with(config);
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let sent = a.send(thread.id, "quick").unwrap();
    clock.advance(Duration::seconds(601));
    let err = a.edit_message(sent.id, "slow").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(t) if t.contains("10 minutes")),
        "{err:?}"
    );
}
both!(the_window_is_configurable);

// ---------------------------------------------------------------------------
// Withdraw (delete for everyone)

fn withdrawing_an_unread_message_leaves_a_tombstone_and_drops_the_count(backend: &TestBackend) {
    let p = pair(backend);
    let one = p.a.send(p.thread, "one").unwrap();
    let two = p.a.send(p.thread, "secret two").unwrap();
    let three = p.a.send(p.thread, "three").unwrap();
    assert_eq!(p.b.unread_count().unwrap(), 3);
    exact(&p.store);
    p.clock.advance(Duration::minutes(1));
    let tomb = p.a.delete_message(two.id).unwrap();
    assert_eq!(tomb.id, two.id);
    assert_eq!(tomb.text, "");
    assert_eq!(tomb.sender_id, two.sender_id);
    assert_eq!(tomb.created_at, two.created_at);
    assert!(tomb.deleted_at.is_some());
    assert_eq!(p.b.unread_count().unwrap(), 2);
    assert_eq!(p.b.thread_summary(p.thread).unwrap().unread_count, 2);
    exact(&p.store);
    for session in [&p.a, &p.b] {
        let items = history(session, p.thread);
        assert_eq!(
            items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![one.id, two.id, three.id],
            "paging stays exact"
        );
        assert_eq!(items[1], tomb);
    }
    // Pages around the tombstone stay exact.
    let page =
        p.b.list_messages(
            p.thread,
            &MessageQuery {
                before: Some(three.id),
                limit: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.items, vec![tomb.clone()]);
    assert!(page.has_more);
    // Marking the tombstone read changes nothing; again withdrawing is a no-op.
    assert_eq!(p.b.mark_read(two.id).unwrap(), tomb);
    assert_eq!(p.a.delete_message(two.id).unwrap(), tomb);
    assert_eq!(p.b.mark_thread_read(p.thread, None).unwrap(), 2);
    assert_eq!(p.b.unread_count().unwrap(), 0);
    assert!(history(&p.b, p.thread)[1].read_at.is_none());
    exact(&p.store);
}
both!(withdrawing_an_unread_message_leaves_a_tombstone_and_drops_the_count);

fn withdrawing_a_read_message_leaves_the_counts_alone(backend: &TestBackend) {
    let p = pair(backend);
    let read = p.a.send(p.thread, "read me").unwrap();
    let _unread = p.a.send(p.thread, "later").unwrap();
    p.b.mark_read(read.id).unwrap();
    assert_eq!(p.b.unread_count().unwrap(), 1);
    p.a.delete_message(read.id).unwrap();
    assert_eq!(p.b.unread_count().unwrap(), 1);
    exact(&p.store);
    // The sender's own count never moved.
    assert_eq!(p.a.unread_count().unwrap(), 0);
}
both!(withdrawing_a_read_message_leaves_the_counts_alone);

fn only_the_sender_withdraws_and_a_tombstone_cannot_be_edited(backend: &TestBackend) {
    let p = pair(backend);
    let sent = p.a.send(p.thread, "mine").unwrap();
    assert!(matches!(p.b.delete_message(sent.id), Err(Error::NotSender)));
    let (_, c) = user(&p.store, "cid");
    assert!(matches!(
        c.delete_message(sent.id),
        Err(Error::NotParticipant)
    ));
    assert!(matches!(
        p.a.delete_message(MessageId(12345)),
        Err(Error::MessageNotFound(12345))
    ));
    assert_eq!(history(&p.b, p.thread), vec![sent.clone()]);
    assert_eq!(p.b.unread_count().unwrap(), 1);
    p.a.delete_message(sent.id).unwrap();
    let err = p.a.edit_message(sent.id, "back").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(t) if t.contains("withdrawn")),
        "{err:?}"
    );
    assert_eq!(history(&p.a, p.thread)[0].text, "");
    exact(&p.store);
}
both!(only_the_sender_withdraws_and_a_tombstone_cannot_be_edited);

fn a_withdrawn_newest_message_previews_as_its_tombstone(backend: &TestBackend) {
    let p = pair(backend);
    p.a.send(p.thread, "older").unwrap();
    let newest = p.a.send(p.thread, "regret").unwrap();
    let tomb = p.a.delete_message(newest.id).unwrap();
    for session in [&p.a, &p.b] {
        let summary = session.thread_summary(p.thread).unwrap();
        assert_eq!(summary.last_message, Some(tomb.clone()));
        let inbox = session.list_threads(&ThreadQuery::default()).unwrap();
        assert_eq!(inbox.items[0].last_message, Some(tomb.clone()));
    }
}
both!(a_withdrawn_newest_message_previews_as_its_tombstone);

fn a_keyed_retry_after_an_edit_or_withdrawal_returns_the_message_as_it_is(backend: &TestBackend) {
    let p = pair(backend);
    let (sent, _) = p.a.send_with_key(p.thread, "first", "k1").unwrap();
    let edited = p.a.edit_message(sent.id, "first!").unwrap();
    assert_eq!(
        p.a.send_with_key(p.thread, "first", "k1").unwrap(),
        (edited, false)
    );
    let (gone, _) = p.a.send_with_key(p.thread, "oops", "k2").unwrap();
    let tomb = p.a.delete_message(gone.id).unwrap();
    assert_eq!(
        p.a.send_with_key(p.thread, "oops", "k2").unwrap(),
        (tomb, false),
        "a withdrawn message is never sent again"
    );
    assert_eq!(history(&p.b, p.thread).len(), 2);
    exact(&p.store);
}
both!(a_keyed_retry_after_an_edit_or_withdrawal_returns_the_message_as_it_is);

// ---------------------------------------------------------------------------
// Exports

fn the_ndjson_export_keeps_tombstones_edits_and_clear_marks(backend: &TestBackend) {
    let p = pair(backend);
    let edited = p.a.send(p.thread, "draft").unwrap();
    p.a.edit_message(edited.id, "final").unwrap();
    let gone = p.a.send(p.thread, "never mind").unwrap();
    p.a.delete_message(gone.id).unwrap();
    let through = p.b.clear_thread(p.thread).unwrap();
    let mut out = Vec::new();
    p.b.export_ndjson(&mut out).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["cleared_through_id"], through.0);
    assert_eq!(lines[1]["text"], "final");
    assert!(lines[1]["edited_at"].is_string());
    assert!(lines[1]["deleted_at"].is_null());
    assert_eq!(lines[2]["text"], "");
    assert!(lines[2]["deleted_at"].is_string());
    // The other participant never cleared: no mark on their line.
    let mut out = Vec::new();
    p.a.export_ndjson(&mut out).unwrap();
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
    assert!(first.get("cleared_through_id").is_none());
}
both!(the_ndjson_export_keeps_tombstones_edits_and_clear_marks);

fn the_django_export_leaves_tombstones_out_and_imports_back(backend: &TestBackend) {
    let p = pair(backend);
    let kept = p.a.send(p.thread, "draft").unwrap();
    p.a.edit_message(kept.id, "final").unwrap();
    let gone = p.a.send(p.thread, "never mind").unwrap();
    p.a.delete_message(gone.id).unwrap();
    let mut out = Vec::new();
    p.store.export_django(&mut out).unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    let messages: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["model"] == "chat.message")
        .collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["pk"], kept.id.0);
    assert_eq!(messages[0]["fields"]["text"], "final");
    let copy = backend.store();
    copy.import_django(&out[..], false).unwrap();
    exact(&copy);
}
both!(the_django_export_leaves_tombstones_out_and_imports_back);
