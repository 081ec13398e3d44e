//! Guarantee: hostile input gets a typed error, changes nothing and never
//! panics, through the Rust API and through the C ABI (invalid UTF-8, NULL).
//!
//! Already proved in `chatcore/tests/refusals.rs`: limits 0, 501 and 10⁹,
//! negative `before` / `up_to`, both cursors, malformed inbox cursors, empty
//! and over-long texts, bad emails, usernames and passwords.

use chatcore::{Error, MessageId, MessageQuery, NewUser, ThreadId, ThreadQuery, UserId};
use chatcore_ffi::*;
use chatcore_reliability::pair;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr;

/// The stored users, threads, members and messages.
fn dump(path: &Path) -> String {
    chatcore_reliability::snapshot(path, &["users", "threads", "members", "messages"])
}

/// Runs `call`, which must fail with `code`, not panic, and change nothing.
fn refused<T: std::fmt::Debug>(
    path: &Path,
    code: &str,
    what: &str,
    call: impl FnOnce() -> chatcore::Result<T>,
) {
    let before = dump(path);
    let result =
        catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| panic!("{what}: panicked"));
    match result {
        Err(err) => assert_eq!(err.code(), code, "{what}: {err}"),
        Ok(value) => panic!("{what}: accepted: {value:?}"),
    }
    assert_eq!(dump(path), before, "{what}: changed the store");
}

#[test]
fn hostile_input_through_the_rust_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.db");
    let (store, ann, bob, thread) = pair(&path);
    let mib = "a".repeat(1 << 20);
    let mut refusals = 0;
    let mut check = |code: &str, what: &str, call: &dyn Fn() -> chatcore::Result<()>| {
        refused(&path, code, what, call);
        refusals += 1;
    };
    for (what, text) in [
        ("NUL", "a\0b"),
        ("escape sequence", "\u{1b}[2J"),
        ("bell", "\u{7}"),
        ("DEL", "x\u{7f}"),
        ("C1 control", "x\u{85}"),
        ("1 MiB", mib.as_str()),
        ("only spaces", "   \n\t "),
    ] {
        check("invalid_text", what, &|| ann.send(thread, text).map(|_| ()));
    }
    for id in [0, -1, i64::MIN, i64::MAX] {
        check("thread_not_found", "thread id", &|| {
            ann.send(ThreadId(id), "hi").map(|_| ())
        });
        check("thread_not_found", "list of a bad thread", &|| {
            ann.list_messages(ThreadId(id), &MessageQuery::default())
                .map(|_| ())
        });
        check("thread_not_found", "delete of a bad thread", &|| {
            ann.delete_thread(ThreadId(id))
        });
        check("message_not_found", "message id", &|| {
            bob.mark_read(MessageId(id)).map(|_| ())
        });
        check("user_not_found", "participant id", &|| {
            ann.create_thread(&[ann.user_id(), UserId(id)]).map(|_| ())
        });
    }
    check("invalid_argument", "after i64::MIN", &|| {
        ann.list_messages(
            thread,
            &MessageQuery {
                after: Some(MessageId(i64::MIN)),
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    check("invalid_argument", "limit u32::MAX", &|| {
        ann.list_threads(&ThreadQuery {
            cursor: None,
            limit: Some(u32::MAX),
        })
        .map(|_| ())
    });
    for cursor in [
        "-9223372036854775808:-9223372036854775808",
        "1:1\0",
        "１:２",
        "1 :2",
        "' OR 1=1 --",
        &"9".repeat(100_000),
    ] {
        let result = catch_unwind(AssertUnwindSafe(|| {
            ann.list_threads(&ThreadQuery {
                cursor: Some(cursor),
                limit: None,
            })
        }))
        .expect("a cursor made chatcore panic");
        assert!(
            matches!(result, Ok(_) | Err(Error::InvalidArgument(_))),
            "{result:?}"
        );
    }
    let long = "a".repeat(1 << 20);
    let long_email = format!("{long}@example.com");
    for (code, email, username, password) in [
        ("invalid_email", long_email.as_str(), "x", "password123"),
        (
            "invalid_username",
            "x@example.com",
            long.as_str(),
            "password123",
        ),
        ("weak_password", "x@example.com", "x", long.as_str()),
        ("invalid_username", "x@example.com", "ann\0", "password123"),
        ("invalid_username", "x@example.com", "an n", "password123"),
        (
            "invalid_username",
            "x@example.com",
            "ann';--",
            "password123",
        ),
        (
            "invalid_username",
            "x@example.com",
            "a\u{202e}nn",
            "password123",
        ),
        ("invalid_email", "x\0@example.com", "x", "password123"),
        ("email_taken", "ANN@EXAMPLE.COM", "x", "password123"),
        ("username_taken", "x@example.com", "ANN", "password123"),
    ] {
        check(code, username, &|| {
            store
                .register(&NewUser {
                    email,
                    username,
                    password,
                    ..Default::default()
                })
                .map(|_| ())
        });
    }
    for email in [long_email.as_str(), "ann@example.com\0", "' OR 1=1 --"] {
        check("invalid_credentials", "login", &|| {
            store.login(email, "password123").map(|_| ())
        });
    }
    check("invalid_credentials", "1 MiB password", &|| {
        store.login("ann@example.com", &long).map(|_| ())
    });
    check("session_invalid", "1 MiB token", &|| {
        store.resume(&long).map(|_| ())
    });
    // SQL metacharacters are data, stored and returned exactly.
    let sql = "'); DROP TABLE messages; -- \" % _ \\ ;";
    let sent = ann.send(thread, sql).unwrap();
    let page = bob.list_messages(thread, &MessageQuery::default()).unwrap();
    assert_eq!(page.items.last().map(|m| m.text.as_str()), Some(sql));
    assert_eq!(bob.find_user("ANN").unwrap().id, ann.user_id());
    assert!(bob.search_users("%", None).unwrap().is_empty());
    assert!(bob.search_users("_", None).unwrap().is_empty());
    println!(
        "hostile (Rust API): {refusals} hostile calls refused with their typed error, nothing \
         changed, no panic; SQL metacharacters stored verbatim (message {})",
        sent.id
    );
}

/// Unicode look-alikes of an existing username: each is refused or a
/// distinct account; the ones that differ only by case are refused.
#[test]
fn confusable_usernames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confusables.db");
    let (store, _, _, _) = pair(&path);
    let mut accepted = Vec::new();
    for (n, name) in [
        "ANN",
        "Ann",
        "аnn",
        "ａｎｎ",
        "ann\u{200b}",
        "a\u{301}nn",
        "ÅNN",
    ]
    .iter()
    .enumerate()
    {
        let email = format!("c{n}@example.com");
        let result = store.register(&NewUser {
            email: &email,
            username: name,
            password: "password123",
            ..Default::default()
        });
        match result {
            Ok(user) => accepted.push(user.username),
            Err(err) => assert!(
                matches!(err.code(), "username_taken" | "invalid_username"),
                "{name}: {err}"
            ),
        }
    }
    assert!(!accepted.iter().any(|name| name.eq_ignore_ascii_case("ann")));
    println!("confusables: accepted as distinct users: {accepted:?}");
}

fn c(text: &[u8]) -> CString {
    CString::new(text).unwrap()
}

#[test]
fn hostile_input_through_the_c_abi() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cabi.db");
    let (store, _, _, _) = pair(&path);
    drop(store);
    let mut calls = 0;
    let mut expect = |got: chat_status, want: chat_status, what: &str| {
        assert_eq!(got, want, "{what}");
        calls += 1;
    };
    let c_path = c(path.to_str().unwrap().as_bytes());
    let mut db: *mut chat_store = ptr::null_mut();
    expect(
        chat_open(ptr::null(), &mut db),
        chat_status::ChatErrInvalidArgument,
        "NULL path",
    );
    expect(
        chat_open(c(b"\xff\xfe.db").as_ptr(), &mut db),
        chat_status::ChatErrInvalidArgument,
        "invalid UTF-8 path",
    );
    expect(
        chat_open(c_path.as_ptr(), &mut db),
        chat_status::ChatOk,
        "open",
    );
    let invalid_utf8 = [
        b"\xc3\x28".as_slice(),
        b"\xff",
        b"ann\xed\xa0\x80",
        b"\xf0\x28\x8c\x28",
    ];
    let before = dump(&path);
    for bad in invalid_utf8 {
        let bad = c(bad);
        let mut user = ptr::null_mut();
        expect(
            chat_register(
                db,
                bad.as_ptr(),
                c(b"x").as_ptr(),
                c(b"password123").as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut user,
            ),
            chat_status::ChatErrInvalidArgument,
            "register with invalid UTF-8",
        );
        assert!(user.is_null(), "no output on error");
        let mut session = ptr::null_mut();
        expect(
            chat_login(db, bad.as_ptr(), c(b"password123").as_ptr(), &mut session),
            chat_status::ChatErrInvalidArgument,
            "login with invalid UTF-8",
        );
        assert!(session.is_null());
    }
    let mut ann = ptr::null_mut();
    expect(
        chat_login(
            db,
            c(b"ann@example.com").as_ptr(),
            c(b"password123").as_ptr(),
            &mut ann,
        ),
        chat_status::ChatOk,
        "login",
    );
    let mut ids = [0i64; 2];
    let mut ann_id = 0;
    assert_eq!(chat_session_user_id(ann, &mut ann_id), chat_status::ChatOk);
    ids[0] = ann_id;
    ids[1] = ann_id + 1;
    let mut thread: *mut chat_thread = ptr::null_mut();
    let mut created = false;
    expect(
        chat_thread_create(ann, ids.as_ptr(), 2, &mut thread, &mut created),
        chat_status::ChatOk,
        "thread",
    );
    let thread_id = unsafe { (*thread).id };
    chat_thread_free(thread);
    expect(
        chat_thread_create(ann, ptr::null(), 2, &mut thread, &mut created),
        chat_status::ChatErrInvalidArgument,
        "NULL participants",
    );
    let snapshot = dump(&path);
    for bad in invalid_utf8 {
        let mut message = ptr::null_mut();
        expect(
            chat_message_send(ann, thread_id, c(bad).as_ptr(), &mut message),
            chat_status::ChatErrInvalidArgument,
            "send invalid UTF-8",
        );
        assert!(message.is_null());
    }
    let mut message = ptr::null_mut();
    for (text, want) in [
        (b"\x1b[31mred".as_slice(), chat_status::ChatErrInvalidText),
        (b"   ", chat_status::ChatErrInvalidText),
    ] {
        expect(
            chat_message_send(ann, thread_id, c(text).as_ptr(), &mut message),
            want,
            "send a bad text",
        );
    }
    let big = vec![b'a'; 1 << 20];
    expect(
        chat_message_send(ann, thread_id, c(&big).as_ptr(), &mut message),
        chat_status::ChatErrInvalidText,
        "1 MiB text",
    );
    expect(
        chat_message_send(ann, thread_id, ptr::null(), &mut message),
        chat_status::ChatErrInvalidArgument,
        "NULL text",
    );
    expect(
        chat_message_send(ptr::null_mut(), thread_id, c(b"hi").as_ptr(), &mut message),
        chat_status::ChatErrInvalidArgument,
        "NULL session",
    );
    for id in [-1, i64::MIN, i64::MAX] {
        expect(
            chat_message_send(ann, id, c(b"hi").as_ptr(), &mut message),
            chat_status::ChatErrThreadNotFound,
            "bad thread id",
        );
    }
    let mut list: *mut chat_message_list = ptr::null_mut();
    for (before, after, limit) in [(0, 0, 1_000_000_000), (-5, 0, 10), (0, -5, 10), (3, 4, 10)] {
        expect(
            chat_messages_list(ann, thread_id, before, after, limit, &mut list),
            chat_status::ChatErrInvalidArgument,
            "bad page",
        );
        assert!(list.is_null());
    }
    assert_eq!(dump(&path), snapshot, "nothing changed");
    assert_ne!(before, "");
    let text: *const c_char = c(b"'); DROP TABLE messages; --").into_raw();
    expect(
        chat_message_send(ann, thread_id, text, &mut message),
        chat_status::ChatOk,
        "SQL metacharacters are text",
    );
    drop(unsafe { CString::from_raw(text as *mut c_char) });
    chat_message_free(message);
    chat_message_free(ptr::null_mut());
    chat_message_list_free(ptr::null_mut());
    chat_session_free(ann);
    chat_session_free(ptr::null_mut());
    chat_close(db);
    chat_close(ptr::null_mut());
    println!(
        "hostile (C ABI): {calls} calls with invalid UTF-8, NULL, 1 MiB, control characters, \
         bad ids and limits: each the right status, no output written, nothing changed"
    );
}
