//! Every refusal in the SPEC table: the exact error kind, and nothing changed.

mod common;

use chatcore::{
    Config, Error, ManualClock, MessageId, MessageQuery, NewUser, Store, ThreadId, ThreadQuery,
    UserId,
};
use chrono::{Duration, TimeZone, Utc};
use common::*;
use std::sync::Arc;

/// Runs `refused` and checks it fails with the expected kind and leaves the
/// file exactly as it was.
fn assert_refused<T: std::fmt::Debug>(
    path: &std::path::Path,
    code: &str,
    refused: impl FnOnce() -> chatcore::Result<T>,
) {
    let before = snapshot(path);
    let err = refused().expect_err("the call should have been refused");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        snapshot(path),
        before,
        "a refused call changed the store ({code})"
    );
}

struct World {
    path: std::path::PathBuf,
    store: Store,
    ann: (chatcore::User, chatcore::Session),
    bob: (chatcore::User, chatcore::Session),
    eve: (chatcore::User, chatcore::Session),
    thread: ThreadId,
    from_ann: MessageId,
}

fn world(b: &TestBackend) -> World {
    let (path, store) = b.shared_store();
    let ann = user(&store, "ann");
    let bob = user(&store, "bob");
    let eve = user(&store, "eve");
    let (thread, _) = ann.1.create_thread(&[ann.0.id, bob.0.id]).unwrap();
    let from_ann = ann.1.send(thread.id, "hello bob").unwrap().id;
    World {
        path,
        store,
        ann,
        bob,
        eve,
        thread: thread.id,
        from_ann,
    }
}

fn new_user<'a>(email: &'a str, username: &'a str, password: &'a str) -> NewUser<'a> {
    NewUser {
        email,
        username,
        password,
        ..Default::default()
    }
}

fn non_participants_cannot_send_read_delete_or_mark(b: &TestBackend) {
    let w = world(b);
    let eve = &w.eve.1;
    assert_refused(&w.path, "not_participant", || eve.send(w.thread, "hi"));
    assert_refused(&w.path, "not_participant", || {
        eve.list_messages(w.thread, &MessageQuery::default())
    });
    assert_refused(&w.path, "not_participant", || eve.thread(w.thread));
    assert_refused(&w.path, "not_participant", || eve.thread_summary(w.thread));
    assert_refused(&w.path, "not_participant", || eve.delete_thread(w.thread));
    assert_refused(&w.path, "not_participant", || eve.mark_read(w.from_ann));
    assert_refused(&w.path, "not_participant", || {
        eve.mark_thread_read(w.thread, None)
    });
}
both!(non_participants_cannot_send_read_delete_or_mark);

fn the_sender_cannot_mark_their_own_message_read(b: &TestBackend) {
    let w = world(b);
    assert_refused(&w.path, "not_recipient", || w.ann.1.mark_read(w.from_ann));
}
both!(the_sender_cannot_mark_their_own_message_read);

fn missing_threads_and_messages(b: &TestBackend) {
    let w = world(b);
    let ann = &w.ann.1;
    for id in [ThreadId(999), ThreadId(-1), ThreadId(i64::MAX)] {
        assert_refused(&w.path, "thread_not_found", || ann.send(id, "hi"));
        assert_refused(&w.path, "thread_not_found", || ann.thread(id));
        assert_refused(&w.path, "thread_not_found", || ann.delete_thread(id));
        assert_refused(&w.path, "thread_not_found", || {
            ann.mark_thread_read(id, None)
        });
        assert_refused(&w.path, "thread_not_found", || {
            ann.list_messages(id, &MessageQuery::default())
        });
    }
    for id in [MessageId(999), MessageId(-5)] {
        assert_refused(&w.path, "message_not_found", || w.bob.1.mark_read(id));
    }
}
both!(missing_threads_and_messages);

fn thread_participant_rules(b: &TestBackend) {
    let w = world(b);
    let (ann, bob, eve) = (w.ann.0.id, w.bob.0.id, w.eve.0.id);
    let s = &w.ann.1;
    assert_refused(&w.path, "wrong_participant_count", || {
        s.create_thread(&[ann, bob, eve])
    });
    assert_refused(&w.path, "wrong_participant_count", || {
        s.create_thread(&[ann])
    });
    assert_refused(&w.path, "wrong_participant_count", || s.create_thread(&[]));
    assert_refused(&w.path, "duplicate_participant", || {
        s.create_thread(&[ann, ann])
    });
    assert_refused(&w.path, "user_not_found", || {
        s.create_thread(&[ann, UserId(4242)])
    });
    assert_refused(&w.path, "not_participant", || s.create_thread(&[bob, eve]));
}
both!(thread_participant_rules);

fn empty_and_too_long_texts(b: &TestBackend) {
    let w = world(b);
    let s = &w.ann.1;
    for text in ["", "   ", "\n\t "] {
        assert_refused(&w.path, "invalid_text", || s.send(w.thread, text));
    }
    for text in [
        "nul\0inside",
        "bell\u{7}",
        "\u{1b}[31mred",
        "del\u{7f}",
        "c1\u{85}",
    ] {
        assert_refused(&w.path, "invalid_text", || s.send(w.thread, text));
    }
    // Tabs and line breaks are text; so are emoji and right-to-left scripts.
    s.send(w.thread, "line one\r\nline two\tand a tab 😀 שלום")
        .unwrap();
    let long = "x".repeat(64 * 1024 + 1);
    assert_refused(&w.path, "invalid_text", || s.send(w.thread, &long));
    // Exactly at the limit is fine.
    s.send(w.thread, &"y".repeat(64 * 1024)).unwrap();
}
both!(empty_and_too_long_texts);

fn the_text_limit_is_configurable(b: &TestBackend) {
    let store = b.store_with(Config::insecure_fast_for_tests().max_text_bytes(10));
    let (ann, s) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = s.create_thread(&[ann.id, bob.id]).unwrap();
    s.send(thread.id, "0123456789").unwrap();
    assert!(matches!(
        s.send(thread.id, "0123456789a"),
        Err(Error::InvalidText(_))
    ));
}
both!(the_text_limit_is_configurable);

fn bad_emails_usernames_and_passwords(b: &TestBackend) {
    let w = world(b);
    let st = &w.store;
    for email in [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a b@example.com",
        "a@exa mple.com",
        "a@-x.com",
        "a@example.c0m1",
    ] {
        assert_refused(&w.path, "invalid_email", || {
            st.register(&new_user(email, "newname", "password123"))
        });
    }
    let long_name = "u".repeat(151);
    for username in [
        "",
        "has space",
        "semi;colon",
        "quote'",
        long_name.as_str(),
        "emoji😀",
    ] {
        assert_refused(&w.path, "invalid_username", || {
            st.register(&new_user("new@example.com", username, "password123"))
        });
    }
    let long_password = "p".repeat(1025);
    for password in ["", "short", "1234567", long_password.as_str()] {
        assert_refused(&w.path, "weak_password", || {
            st.register(&new_user("new@example.com", "newname", password))
        });
    }
    // The edges that are allowed.
    st.register(&new_user(
        "edge@example.com",
        &"u".repeat(150),
        &"p".repeat(1024),
    ))
    .unwrap();
    st.register(&new_user("edge2@example.com", "a.b+c-d_e@f", "12345678"))
        .unwrap();
}
both!(bad_emails_usernames_and_passwords);

fn duplicate_email_or_username_in_any_case(b: &TestBackend) {
    let w = world(b);
    let st = &w.store;
    assert_refused(&w.path, "email_taken", || {
        st.register(&new_user("ANN@Example.COM", "ann2", "password123"))
    });
    assert_refused(&w.path, "email_taken", || {
        st.register(&new_user("  ann@example.com ", "ann3", "password123"))
    });
    assert_refused(&w.path, "username_taken", || {
        st.register(&new_user("ann2@example.com", "ANN", "password123"))
    });
}
both!(duplicate_email_or_username_in_any_case);

fn wrong_password_and_unknown_email_are_the_same_error(b: &TestBackend) {
    let w = world(b);
    let wrong = w
        .store
        .login("ann@example.com", "not her password")
        .unwrap_err();
    let unknown = w
        .store
        .login("nobody@example.com", "whatever123")
        .unwrap_err();
    assert!(matches!(wrong, Error::InvalidCredentials));
    assert!(matches!(unknown, Error::InvalidCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
    // Email lookup is case-insensitive and trimmed.
    w.store.login(" ANN@example.com", PASSWORD).unwrap();
}
both!(wrong_password_and_unknown_email_are_the_same_error);

fn a_logged_out_session_is_refused_everywhere(b: &TestBackend) {
    let w = world(b);
    let s = &w.ann.1;
    s.logout().unwrap();
    assert_refused(&w.path, "session_invalid", || s.send(w.thread, "hi"));
    assert_refused(&w.path, "session_invalid", || s.unread_count());
    assert_refused(&w.path, "session_invalid", || {
        s.list_threads(&ThreadQuery::default())
    });
    assert_refused(&w.path, "session_invalid", || s.me());
    assert_refused(&w.path, "session_invalid", || s.logout());
    assert_refused(&w.path, "session_invalid", || w.store.resume(s.token()));
    // Other sessions of other users are unaffected.
    w.bob.1.unread_count().unwrap();
}
both!(a_logged_out_session_is_refused_everywhere);

fn a_revoked_session_is_refused_and_only_own_sessions_can_be_revoked(b: &TestBackend) {
    let w = world(b);
    let second = w.store.login("ann@example.com", PASSWORD).unwrap();
    let sessions = w.ann.1.sessions().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    // Bob cannot see or revoke Ann's.
    assert_refused(&w.path, "session_invalid", || {
        w.bob.1.revoke_session(second.id())
    });
    assert_eq!(w.bob.1.sessions().unwrap().len(), 1);
    w.ann.1.revoke_session(second.id()).unwrap();
    assert!(matches!(second.unread_count(), Err(Error::SessionInvalid)));
    w.ann.1.unread_count().unwrap();
}
both!(a_revoked_session_is_refused_and_only_own_sessions_can_be_revoked);

#[test]
fn a_session_expires_exactly_at_its_expiry() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let config = Config::insecure_fast_for_tests()
        .clock(clock.clone())
        .session_ttl(std::time::Duration::from_secs(3600));
    let store = Store::open_with(&path, config).unwrap();
    let (_, s) = user(&store, "ann");
    clock.advance(Duration::minutes(59));
    s.unread_count().unwrap();
    clock.advance(Duration::seconds(59) + Duration::milliseconds(999));
    s.unread_count().unwrap();
    clock.advance(Duration::milliseconds(1));
    assert_refused(&path, "session_expired", || s.unread_count());
    assert_refused(&path, "session_expired", || store.resume(s.token()));
    // A fresh login works again.
    store.login("ann@example.com", PASSWORD).unwrap();
}

fn an_unknown_token_is_invalid(b: &TestBackend) {
    let w = world(b);
    for token in ["", "abc", &"0".repeat(64), "'; DROP TABLE users; --"] {
        assert_refused(&w.path, "session_invalid", || w.store.resume(token));
    }
}
both!(an_unknown_token_is_invalid);

fn bad_page_limits_cursors_and_ids(b: &TestBackend) {
    let w = world(b);
    let s = &w.ann.1;
    for limit in [0, 501, 1_000_000_000] {
        let q = MessageQuery {
            limit: Some(limit),
            ..Default::default()
        };
        assert_refused(&w.path, "invalid_argument", || {
            s.list_messages(w.thread, &q)
        });
        let q = ThreadQuery {
            limit: Some(limit),
            ..Default::default()
        };
        assert_refused(&w.path, "invalid_argument", || s.list_threads(&q));
        assert_refused(&w.path, "invalid_argument", || {
            s.search_users("a", Some(limit))
        });
    }
    let both = MessageQuery {
        before: Some(MessageId(5)),
        after: Some(MessageId(1)),
        limit: None,
    };
    assert_refused(&w.path, "invalid_argument", || {
        s.list_messages(w.thread, &both)
    });
    let negative = MessageQuery {
        before: Some(MessageId(-1)),
        ..Default::default()
    };
    assert_refused(&w.path, "invalid_argument", || {
        s.list_messages(w.thread, &negative)
    });
    assert_refused(&w.path, "invalid_argument", || {
        s.mark_thread_read(w.thread, Some(MessageId(-3)))
    });
    for cursor in ["", "garbage", "1:", ":1", "1:2:3", "99999999999999999999:1"] {
        let q = ThreadQuery {
            cursor: Some(cursor),
            limit: None,
        };
        assert_refused(&w.path, "invalid_argument", || s.list_threads(&q));
    }
}
both!(bad_page_limits_cursors_and_ids);

fn user_lookup_misses(b: &TestBackend) {
    let w = world(b);
    let s = &w.ann.1;
    assert_refused(&w.path, "user_not_found", || s.find_user("nobody"));
    assert_refused(&w.path, "user_not_found", || s.user(UserId(777)));
    assert_eq!(s.find_user("BOB").unwrap().id, w.bob.0.id);
    assert_eq!(s.find_user("bob@EXAMPLE.com").unwrap().id, w.bob.0.id);
    assert_eq!(s.find_user(&w.eve.0.id.to_string()).unwrap().id, w.eve.0.id);
    let found: Vec<_> = s
        .search_users("b", None)
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(found, vec!["bob"]);
    let everyone = s.search_users("", Some(2)).unwrap();
    assert_eq!(everyone.len(), 2, "the limit bounds the result");
}
both!(user_lookup_misses);

#[test]
fn a_path_that_is_not_a_file_is_refused() {
    for path in [":memory:", ""] {
        let err = Store::open(path).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{path:?}: {err}");
    }
    assert!(
        !std::path::Path::new(":memory:").exists(),
        "no stray file was created"
    );
}

fn look_alike_usernames_are_one_name(b: &TestBackend) {
    let w = world(b);
    let st = &w.store;
    // "ann" is taken; each of these looks like it.
    for username in ["ANN", "\u{430}nn", "\u{ff41}\u{ff4e}\u{ff4e}", "Ann"] {
        assert_refused(&w.path, "username_taken", || {
            st.register(&new_user("other@example.com", username, "password123"))
        });
    }
    st.register(&new_user("mary@example.com", "mary", "password123"))
        .unwrap();
    assert_refused(&w.path, "username_taken", || {
        st.register(&new_user("rnary@example.com", "rnary", "password123"))
    });
    st.register(&new_user("paul@example.com", "paul", "password123"))
        .unwrap();
    assert_refused(&w.path, "username_taken", || {
        st.register(&new_user("pau1@example.com", "pau1", "password123"))
    });
    // Full-width input is stored in its NFKC form, as Django does.
    let wide = st
        .register(&new_user(
            "wide@example.com",
            "\u{ff57}\u{ff49}\u{ff44}\u{ff45}",
            "password123",
        ))
        .unwrap();
    assert_eq!(wide.username, "wide");
    // Lookups never go through the look-alike key (tests/lookups.rs).
    let s = &w.ann.1;
    assert_eq!(
        s.find_user("\u{430}nn").unwrap_err().code(),
        "user_not_found"
    );
    assert_eq!(s.find_user("MARY").unwrap().username, "mary");
    let found: Vec<_> = s
        .search_users("RN", None)
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(found, vec!["mary"], "a prefix matches by the same key");
}
both!(look_alike_usernames_are_one_name);
