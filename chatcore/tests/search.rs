//! Full-text search (issue 16): own threads only, folding, prefixes,
//! phrases, exclusions, hostile queries, any script, deletes, imports,
//! paging, the migration and the rebuild.

mod common;

use chatcore::{
    BulkMessage, BulkUser, Error, SCHEMA_VERSION, SearchOrder, SearchPage, SearchQuery, Session,
    Store, ThreadId,
};
use common::*;

/// Two users with a thread; returns the store, ann's session and the thread.
fn pair(backend: &TestBackend) -> (Store, Session, ThreadId) {
    let store = backend.store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    (store, a, thread.id)
}

fn find(session: &Session, text: &str) -> SearchPage {
    session
        .search(&SearchQuery {
            text,
            ..Default::default()
        })
        .unwrap()
}

/// The texts found, in order.
fn texts(session: &Session, text: &str) -> Vec<String> {
    find(session, text)
        .items
        .into_iter()
        .map(|hit| hit.message.text)
        .collect()
}

fn only_the_callers_own_threads_are_searched(backend: &TestBackend) {
    let (store, a, thread) = pair(backend);
    let (cat, c) = user(&store, "cat");
    let (dan, _) = user(&store, "dan");
    let (other, _) = c.create_thread(&[cat.id, dan.id]).unwrap();
    a.send(thread, "secret plan for ann").unwrap();
    c.send(other.id, "secret plan for cat").unwrap();
    assert_eq!(texts(&a, "secret"), vec!["secret plan for ann"]);
    assert_eq!(texts(&c, "secret"), vec!["secret plan for cat"]);
    let page = find(&a, "plan");
    assert_eq!(page.items[0].other.username, "bob");
    assert_eq!(page.items[0].message.thread_id, thread);
    // Naming a thread that is not one's own is refused, not empty.
    let err = a
        .search(&SearchQuery {
            text: "secret",
            thread: Some(other.id),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotParticipant), "{err:?}");
}
both!(only_the_callers_own_threads_are_searched);

fn the_thread_filter_keeps_to_one_thread(backend: &TestBackend) {
    let (store, a, thread) = pair(backend);
    let (cat, _) = user(&store, "cat");
    let (second, _) = a.create_thread(&[a.user_id(), cat.id]).unwrap();
    a.send(thread, "lunch with bob").unwrap();
    a.send(second.id, "lunch with cat").unwrap();
    let page = a
        .search(&SearchQuery {
            text: "lunch",
            thread: Some(second.id),
            ..Default::default()
        })
        .unwrap();
    let found: Vec<_> = page.items.iter().map(|h| h.message.text.as_str()).collect();
    assert_eq!(found, vec!["lunch with cat"]);
}
both!(the_thread_filter_keeps_to_one_thread);

fn case_and_diacritics_are_folded_and_words_match_as_prefixes(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "Rendez-vous au CAFÉ demain").unwrap();
    a.send(thread, "The meeting is at noon").unwrap();
    assert_eq!(texts(&a, "cafe"), vec!["Rendez-vous au CAFÉ demain"]);
    assert_eq!(texts(&a, "Café"), vec!["Rendez-vous au CAFÉ demain"]);
    assert_eq!(texts(&a, "meet"), vec!["The meeting is at noon"]);
    assert_eq!(texts(&a, "MEETING noon"), vec!["The meeting is at noon"]);
    assert!(
        texts(&a, "eting").is_empty(),
        "only prefixes, not inner parts"
    );
    assert!(
        texts(&a, "meeting tomorrow").is_empty(),
        "every word must match"
    );
}
both!(case_and_diacritics_are_folded_and_words_match_as_prefixes);

fn quoted_text_is_a_phrase_and_a_dash_excludes(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "big plan for friday").unwrap();
    a.send(thread, "plan a big party").unwrap();
    a.send(thread, "lunch plan on friday").unwrap();
    assert_eq!(texts(&a, "\"big plan\""), vec!["big plan for friday"]);
    let mut found = texts(&a, "plan -friday");
    found.sort();
    assert_eq!(found, vec!["plan a big party"]);
    let mut found = texts(&a, "plan -\"big party\"");
    found.sort();
    assert_eq!(found, vec!["big plan for friday", "lunch plan on friday"]);
    // Exclusion is of the whole word, not words it begins.
    assert_eq!(texts(&a, "party -par"), vec!["plan a big party"]);
}
both!(quoted_text_is_a_phrase_and_a_dash_excludes);

fn snippets_carry_the_callers_marks_and_the_match_ranges(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "see you at the café").unwrap();
    let page = a
        .search(&SearchQuery {
            text: "cafe",
            marks: ("\x1b[1m", "\x1b[0m"),
            ..Default::default()
        })
        .unwrap();
    let hit = &page.items[0];
    assert_eq!(hit.snippet, "see you at the \x1b[1mcafé\x1b[0m");
    let [start, end] = hit.matches[0];
    assert_eq!(&hit.snippet[start..end], "café");
}
both!(snippets_carry_the_callers_marks_and_the_match_ranges);

fn hostile_queries_are_plain_text_or_refused_never_a_syntax_error(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "AND OR NOT NEAR are words (here) too: x^2 * y")
        .unwrap();
    a.send(thread, "she said \"hi\" and left").unwrap();
    let long = "word ".repeat(120);
    let hostile = [
        "\"",
        "\"\"",
        "\"\"\"",
        "a\"b",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(a b)",
        "a AND",
        "OR b",
        "NOT NOT",
        "*",
        "a*",
        "*a",
        "(",
        ")",
        "(a",
        "a)",
        "^",
        "^a",
        ":",
        "text:",
        "text:a",
        "-",
        "--",
        "- -",
        "-a -b",
        "a -",
        "",
        "   ",
        "!!!",
        "...",
        "{}",
        "[x]",
        "a\u{0}b",
        "\\",
        "'",
        "';DROP TABLE messages;--",
        "\u{200b}",
        "\u{feff}x",
        "e\u{301}",
        "a + b",
        "a | b",
        "col:\"x\"",
        "\"unclosed phrase",
        "ne\"ar",
        "🙂",
        "-🙂",
        &long,
        "x".repeat(501).as_str(),
    ]
    .map(str::to_string);
    for text in &hostile {
        match a.search(&SearchQuery {
            text,
            ..Default::default()
        }) {
            Ok(_) => {}
            Err(Error::InvalidArgument(message)) => assert!(!message.is_empty()),
            Err(other) => panic!("{text:?} gave {other:?}"),
        }
    }
    // Operators are searched as words.
    assert_eq!(texts(&a, "NEAR").len(), 1);
    assert_eq!(texts(&a, "and or").len(), 1);
    assert_eq!(texts(&a, "(here)").len(), 1);
    assert_eq!(texts(&a, "\"hi\"").len(), 1);
    assert_eq!(texts(&a, "x^2").len(), 1);
    for refused in ["", "-", "*", "-lunch", "( ^ :"] {
        let err = a
            .search(&SearchQuery {
                text: refused,
                ..Default::default()
            })
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "{refused:?}: {err:?}"
        );
    }
}
both!(hostile_queries_are_plain_text_or_refused_never_a_syntax_error);

fn text_without_spaces_is_found_by_any_substring_of_three_characters(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "我们明天在東京タワー见面吧").unwrap();
    a.send(thread, "ไปกินข้าวที่ร้านอาหารไทยกัน").unwrap();
    a.send(thread, "hello world").unwrap();
    assert_eq!(texts(&a, "東京タワー"), vec!["我们明天在東京タワー见面吧"]);
    assert_eq!(texts(&a, "京タワ"), vec!["我们明天在東京タワー见面吧"]);
    assert_eq!(texts(&a, "ร้านอาหาร"), vec!["ไปกินข้าวที่ร้านอาหารไทยกัน"]);
    assert!(texts(&a, "東京タワー hello").is_empty());
    // Shorter than three: the start of a run only.
    assert_eq!(texts(&a, "我们").len(), 1);
    assert!(texts(&a, "東京").is_empty());
    // Mixed with words and exclusions.
    a.send(thread, "東京タワー at night").unwrap();
    assert_eq!(texts(&a, "東京タワー night"), vec!["東京タワー at night"]);
    assert_eq!(
        texts(&a, "東京タワー -night"),
        vec!["我们明天在東京タワー见面吧"]
    );
    assert_eq!(texts(&a, "night -東京タワー").len(), 0);
    let page = find(&a, "京タワ");
    assert!(
        page.items
            .iter()
            .all(|hit| hit.snippet.contains("[京タワ]")),
        "{page:?}"
    );
}
both!(text_without_spaces_is_found_by_any_substring_of_three_characters);

fn emoji_and_arabic_are_found(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "party tonight 🎉 bring snacks").unwrap();
    a.send(thread, "مرحبا بكم في الاجتماع").unwrap();
    assert_eq!(texts(&a, "🎉"), vec!["party tonight 🎉 bring snacks"]);
    assert_eq!(texts(&a, "الاجتماع"), vec!["مرحبا بكم في الاجتماع"]);
    assert_eq!(texts(&a, "مرح"), vec!["مرحبا بكم في الاجتماع"]);
}
both!(emoji_and_arabic_are_found);

fn a_sent_message_is_found_at_once_and_a_deleted_threads_messages_are_gone(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    a.send(thread, "findable right away").unwrap();
    assert_eq!(texts(&a, "findable").len(), 1);
    a.delete_thread(thread).unwrap();
    assert!(texts(&a, "findable").is_empty());
    // The index agrees with the messages afterwards.
    assert_eq!(a.store().verify_search_index().unwrap(), None);
}
both!(a_sent_message_is_found_at_once_and_a_deleted_threads_messages_are_gone);

fn relevance_ranks_better_matches_first_and_recent_orders_newest_first(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    let old = a.send(thread, "kiwi kiwi kiwi").unwrap();
    let newer = a
        .send(
            thread,
            "a long message that mentions kiwi once among many other words",
        )
        .unwrap();
    let ids = |order| {
        a.search(&SearchQuery {
            text: "kiwi",
            order,
            ..Default::default()
        })
        .unwrap()
        .items
        .iter()
        .map(|h| h.message.id)
        .collect::<Vec<_>>()
    };
    assert_eq!(ids(SearchOrder::Relevance), vec![old.id, newer.id]);
    assert_eq!(ids(SearchOrder::Recent), vec![newer.id, old.id]);
}
both!(relevance_ranks_better_matches_first_and_recent_orders_newest_first);

fn pages_are_exact_in_both_orders(backend: &TestBackend) {
    let (_store, a, thread) = pair(backend);
    for n in 0..23 {
        // Equal ranks in groups, so ties are broken by id across pages.
        let text = format!("apple {}", "filler ".repeat(n % 4));
        a.send(thread, &text).unwrap();
    }
    for order in [SearchOrder::Relevance, SearchOrder::Recent] {
        let all = a
            .search(&SearchQuery {
                text: "apple",
                order,
                limit: Some(100),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(all.items.len(), 23);
        assert!(all.next_cursor.is_none());
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = a
                .search(&SearchQuery {
                    text: "apple",
                    order,
                    limit: Some(5),
                    cursor: cursor.as_deref(),
                    ..Default::default()
                })
                .unwrap();
            paged.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, all.items, "{order:?}");
    }
    let err = a
        .search(&SearchQuery {
            text: "apple",
            cursor: Some("garbage"),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
}
both!(pages_are_exact_in_both_orders);

fn imported_and_bulk_loaded_messages_are_indexed(backend: &TestBackend) {
    let store = backend.store();
    let json = r#"[
  {"model": "user.user", "pk": 1, "fields": {"password": "!x", "email": "ann@example.com", "username": "ann", "is_active": true}},
  {"model": "user.user", "pk": 2, "fields": {"password": "!x", "email": "bob@example.com", "username": "bob", "is_active": true}},
  {"model": "chat.thread", "pk": 10, "fields": {"participants": [1, 2], "created": "2024-09-01T10:00:00Z", "updated": "2024-09-01T10:05:00Z"}},
  {"model": "chat.message", "pk": 100, "fields": {"thread": 10, "sender": 2, "text": "imported avocado", "created": "2024-09-01T10:01:00Z", "is_read": true}}
]"#;
    store.import_django(json.as_bytes(), false).unwrap();
    let now = chrono::Utc::now();
    store
        .bulk_load(|bulk| {
            let cat = bulk.add_user(&BulkUser {
                email: "cat@example.com",
                username: "cat",
                ..Default::default()
            })?;
            let (thread, _) = bulk.add_thread([chatcore::UserId(1), cat], now)?;
            for n in 0..50 {
                bulk.add_message(&BulkMessage {
                    thread_id: thread,
                    sender_id: cat,
                    text: &format!("bulk avocado number {n}"),
                    created_at: now,
                    read_at: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    store.set_password(chatcore::UserId(1), PASSWORD).unwrap();
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    let page = a
        .search(&SearchQuery {
            text: "avocado",
            limit: Some(500),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 51);
    assert_eq!(store.verify_search_index().unwrap(), None);
}
both!(imported_and_bulk_loaded_messages_are_indexed);

#[test]
fn rebuild_repairs_a_damaged_index_and_verify_notices_the_damage() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "durian season").unwrap();
    a.send(thread.id, "東京タワー durian").unwrap();
    assert_eq!(store.verify_search_index().unwrap(), None);
    // Damage: the index forgets a message behind the store's back.
    raw(&path)
        .execute_batch(
            "INSERT INTO messages_fts(messages_fts) VALUES ('delete-all');
             INSERT INTO messages_trigram(messages_trigram) VALUES ('delete-all');",
        )
        .unwrap();
    assert!(texts(&a, "durian").is_empty());
    assert!(store.verify_search_index().unwrap().is_some());
    assert_eq!(store.rebuild_search_index().unwrap(), 2);
    assert_eq!(store.verify_search_index().unwrap(), None);
    assert_eq!(texts(&a, "durian").len(), 2);
    assert_eq!(texts(&a, "京タワ").len(), 1);
}

/// A file from before the search version gets its index when opened.
#[test]
fn the_migration_builds_the_index_for_existing_messages() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "guava from before").unwrap();
    a.send(thread.id, "東京タワー from before").unwrap();
    drop((a, store));
    raw(&path)
        .execute_batch(&common::downgrade_to(
            chatcore::SCHEMA_VERSION_BEFORE_SEARCH,
        ))
        .unwrap();
    assert!(Store::will_build_search_index(&path));
    let store = Store::open_with(&path, chatcore::Config::insecure_fast_for_tests()).unwrap();
    assert!(!Store::will_build_search_index(&path));
    assert!(!Store::will_build_search_index(
        path.with_extension("missing")
    ));
    let version: i64 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let a = store.login("ann@example.com", PASSWORD).unwrap();
    assert_eq!(texts(&a, "guava").len(), 1);
    assert_eq!(texts(&a, "京タワ").len(), 1);
    assert_eq!(store.verify_search_index().unwrap(), None);
}

/// A bulk load indexes its messages when it ends; a failed one leaves the
/// index as it was and later sends are indexed again.
#[test]
fn a_bulk_load_indexes_at_its_end_and_a_failed_one_changes_nothing() {
    let (_dir, path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let now = chrono::Utc::now();
    let failed = store.bulk_load(|bulk| {
        bulk.add_message(&BulkMessage {
            thread_id: thread.id,
            sender_id: ann.id,
            text: "lost kumquat",
            created_at: now,
            read_at: None,
        })?;
        Err::<(), _>(Error::InvalidArgument("stop".into()))
    });
    assert!(failed.is_err());
    store
        .bulk_load(|bulk| {
            for text in ["bulk kumquat", "東京タワー kumquat"] {
                bulk.add_message(&BulkMessage {
                    thread_id: thread.id,
                    sender_id: ann.id,
                    text,
                    created_at: now,
                    read_at: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    a.send(thread.id, "sent kumquat").unwrap();
    assert_eq!(texts(&a, "kumquat").len(), 3);
    assert_eq!(texts(&a, "京タワ").len(), 1);
    assert_eq!(store.verify_search_index().unwrap(), None);
    let triggers: i64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'messages_search_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 3);
}
