//! Tests of the boundary through the real exports, called from Rust, and
//! the helpers the other test modules share (a fast in-memory store, a
//! registered user, a login).

use super::*;
use crate::boundary::call;
use crate::test_backend::both;
use chatcore::Error;
use std::ffi::{CStr, CString};

pub(super) fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

pub(super) fn last_error() -> Option<String> {
    let ptr = chat_last_error();
    (!ptr.is_null()).then(|| {
        unsafe { CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned()
    })
}

pub(super) fn fast_options() -> chat_options {
    chat_options {
        insecure_fast_password_hashing_for_tests: true,
        ..Default::default()
    }
}

/// A new store on the backend of this test: in memory, or a fresh schema on
/// the PostgreSQL server when run through `both!`'s
/// `postgres` case.
pub(super) fn open_store() -> *mut chat_store {
    let mut store = ptr::null_mut();
    let status = match crate::test_backend::fresh_url() {
        None => chat_open_in_memory(&fast_options(), &mut store),
        Some(url) => chat_open_with(c(&url).as_ptr(), &fast_options(), &mut store),
    };
    assert_eq!(status, chat_status::ChatOk, "{:?}", last_error());
    store
}

pub(super) fn register(store: *mut chat_store, name: &str) -> i64 {
    let mut user = ptr::null_mut();
    let email = c(&format!("{name}@example.com"));
    let status = chat_register(
        store,
        email.as_ptr(),
        c(name).as_ptr(),
        c("password-123").as_ptr(),
        ptr::null(),
        ptr::null(),
        &mut user,
    );
    assert_eq!(status, chat_status::ChatOk, "{:?}", last_error());
    let id = unsafe { (*user).id };
    chat_user_free(user);
    id
}

pub(super) fn login(store: *mut chat_store, name: &str) -> *mut chat_session {
    let mut session = ptr::null_mut();
    let email = c(&format!("{name}@example.com"));
    let status = chat_login(
        store,
        email.as_ptr(),
        c("password-123").as_ptr(),
        &mut session,
    );
    assert_eq!(status, chat_status::ChatOk, "{:?}", last_error());
    session
}

/// Stands in for any export whose body panics: if the panic escaped the
/// boundary it would abort this test process (a panic cannot unwind out of
/// an `extern "C"` function).
extern "C" fn export_that_panics() -> chat_status {
    call(|| panic!("deliberate test panic"))
}

extern "C" fn void_export_that_panics() -> *const c_char {
    guard(ptr::null(), || panic!("deliberate test panic in a getter"))
}

#[test]
fn a_panic_is_caught_and_becomes_internal_with_a_message() {
    assert_eq!(export_that_panics(), chat_status::ChatErrInternal);
    assert_eq!(chat_status::ChatErrInternal as i32, 99);
    let message = last_error().unwrap();
    assert!(
        message.contains("panic") && message.contains("deliberate test panic"),
        "{message}"
    );
    assert!(void_export_that_panics().is_null());
}

#[test]
fn every_core_error_maps_to_the_spec_number() {
    let cases: Vec<(Error, i32)> = vec![
        (Error::InvalidArgument("x".into()), 1),
        (Error::InvalidEmail("x".into()), 2),
        (Error::InvalidUsername("x".into()), 3),
        (Error::WeakPassword("x".into()), 4),
        (Error::InvalidText("x".into()), 5),
        (Error::EmailTaken, 6),
        (Error::UsernameTaken, 7),
        (Error::InvalidCredentials, 8),
        (Error::SessionInvalid, 9),
        (Error::SessionExpired, 10),
        (Error::UserNotFound("x".into()), 11),
        (Error::ThreadNotFound(1), 12),
        (Error::MessageNotFound(1), 13),
        (Error::WrongParticipantCount(3), 14),
        (Error::DuplicateParticipant, 15),
        (Error::NotParticipant, 16),
        (Error::NotRecipient, 17),
        (Error::Busy, 18),
        (
            Error::Storage {
                message: "x".into(),
                source: None,
            },
            19,
        ),
        (
            Error::SchemaTooNew {
                found: 9,
                supported: 1,
            },
            20,
        ),
        (Error::InvalidImport("x".into()), 21),
        (
            Error::AmbiguousUser {
                text: "x".into(),
                candidates: Vec::new(),
            },
            22,
        ),
        (Error::ChangesExpired, 23),
        (Error::NotSender, 24),
        (Error::WrongKey("x".into()), 25),
        (Error::Internal("x".into()), 99),
    ];
    for (error, number) in &cases {
        assert_eq!(
            chat_status::from_error(error) as i32,
            *number,
            "{}",
            error.code()
        );
    }
    // One case per code the core defines, so a new kind fails here until it
    // has a case (and a number).
    let mut covered: Vec<&str> = cases.iter().map(|(error, _)| error.code()).collect();
    covered.sort_unstable();
    assert_eq!(covered, core_error_codes());
}

/// Every machine code `chatcore::Error::code()` can return, read from the
/// arms of its `match` in the core's source: `Error` is `#[non_exhaustive]`,
/// so this crate cannot list its variants by matching them.
fn core_error_codes() -> Vec<&'static str> {
    let source = include_str!("../../chatcore/src/error.rs");
    let body = source
        .split("pub fn code(&self)")
        .nth(1)
        .and_then(|rest| rest.split("\n    }\n").next())
        .expect("chatcore/src/error.rs has `pub fn code(&self)`");
    let mut codes: Vec<&str> = body
        .lines()
        .filter_map(|line| line.split_once("=> \"")?.1.split_once('"'))
        .map(|(code, _)| code)
        .collect();
    codes.sort_unstable();
    assert!(codes.len() >= 22, "found only {codes:?}");
    codes
}

#[test]
fn no_core_error_code_falls_back_to_internal() {
    for code in core_error_codes() {
        let status = chat_status::from_code(code);
        assert_eq!(
            status == chat_status::ChatErrInternal,
            code == "internal",
            "the core's code {code:?} maps to {status:?}: give it its own chat_status"
        );
    }
}

both!(null_and_bad_utf8_are_invalid_arguments_and_outputs_stay_untouched);
fn null_and_bad_utf8_are_invalid_arguments_and_outputs_stay_untouched() {
    let store = open_store();
    let sentinel = 0x5a5a as *mut chat_user;
    let mut user = sentinel;
    let bad = [0xffu8, 0xfe, 0];
    let status = chat_register(
        store,
        bad.as_ptr().cast(),
        c("ann").as_ptr(),
        c("password-123").as_ptr(),
        ptr::null(),
        ptr::null(),
        &mut user,
    );
    assert_eq!(status, chat_status::ChatErrInvalidArgument);
    assert!(last_error().unwrap().contains("email is not valid UTF-8"));
    assert_eq!(user, sentinel);
    let status = chat_register(
        ptr::null_mut(),
        c("a@example.com").as_ptr(),
        c("ann").as_ptr(),
        c("password-123").as_ptr(),
        ptr::null(),
        ptr::null(),
        &mut user,
    );
    assert_eq!(status, chat_status::ChatErrInvalidArgument);
    assert!(last_error().unwrap().contains("store must not be NULL"));
    assert_eq!(user, sentinel);
    // A core error leaves the output alone too.
    let status = chat_register(
        store,
        c("not-an-email").as_ptr(),
        c("ann").as_ptr(),
        c("password-123").as_ptr(),
        ptr::null(),
        ptr::null(),
        &mut user,
    );
    assert_eq!(status, chat_status::ChatErrInvalidEmail);
    assert_eq!(user, sentinel);
    chat_close(store);
}

both!(the_last_error_is_cleared_by_a_success_and_kept_per_thread);
fn the_last_error_is_cleared_by_a_success_and_kept_per_thread() {
    let store = open_store();
    let mut out = ptr::null_mut();
    assert_eq!(
        chat_login(
            store,
            c("nobody@example.com").as_ptr(),
            c("whatever-1").as_ptr(),
            &mut out
        ),
        chat_status::ChatErrInvalidCredentials
    );
    assert_eq!(last_error().as_deref(), Some("wrong email or password"));
    let other_thread = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(other_thread, None);
    chat_user_free(ptr::null_mut()); // a free does not clear it
    assert!(last_error().is_some());
    register(store, "ann");
    assert_eq!(last_error(), None);
    chat_close(store);
}

both!(a_session_outlives_its_closed_store_and_is_shared_by_threads);
fn a_session_outlives_its_closed_store_and_is_shared_by_threads() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let ann_session = login(store, "ann");
    let bob_session = login(store, "bob");
    chat_close(store);

    let mut thread = ptr::null_mut();
    let mut created = false;
    let pair = [ann, bob];
    assert_eq!(
        chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
        chat_status::ChatOk
    );
    assert!(created);
    let thread_id = unsafe { (*thread).id };
    chat_thread_free(thread);

    struct Shared(*mut chat_session);
    unsafe impl Send for Shared {}
    unsafe impl Sync for Shared {}
    let shared = Shared(ann_session);
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let shared = &shared;
            scope.spawn(move || {
                for n in 0..5 {
                    let mut message = ptr::null_mut();
                    let text = c(&format!("worker {worker} message {n}"));
                    let status =
                        chat_message_send(shared.0, thread_id, text.as_ptr(), &mut message);
                    assert_eq!(status, chat_status::ChatOk, "{:?}", last_error());
                    chat_message_free(message);
                }
            });
        }
    });
    let mut unread = 0;
    assert_eq!(
        chat_unread_count(bob_session, &mut unread),
        chat_status::ChatOk
    );
    assert_eq!(unread, 20);
    chat_session_free(ann_session);
    chat_session_free(bob_session);
}

both!(inbox_entries_carry_the_other_user_the_last_message_and_the_cursor);
fn inbox_entries_carry_the_other_user_the_last_message_and_the_cursor() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let cid = register(store, "cid");
    let ann_session = login(store, "ann");
    for other in [bob, cid] {
        let mut thread = ptr::null_mut();
        let mut created = false;
        let pair = [ann, other];
        assert_eq!(
            chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
            chat_status::ChatOk
        );
        let mut message = ptr::null_mut();
        let text = c(&format!("hello {other}"));
        assert_eq!(
            chat_message_send(
                ann_session,
                unsafe { (*thread).id },
                text.as_ptr(),
                &mut message
            ),
            chat_status::ChatOk
        );
        chat_message_free(message);
        chat_thread_free(thread);
    }
    let mut page = ptr::null_mut();
    assert_eq!(
        chat_threads_list(ann_session, ptr::null(), 1, &mut page),
        chat_status::ChatOk
    );
    let first = unsafe { &*page };
    assert_eq!(first.len, 1);
    let entry = unsafe { &*first.items };
    let other = unsafe { &*entry.other };
    assert_eq!(other.id, cid);
    assert_eq!(
        unsafe { CStr::from_ptr(other.username) }.to_str().unwrap(),
        "cid"
    );
    let last = unsafe { &*entry.last_message };
    assert_eq!(
        unsafe { CStr::from_ptr(last.text) }.to_str().unwrap(),
        format!("hello {cid}")
    );
    assert!(!first.next_cursor.is_null());
    let mut second = ptr::null_mut();
    assert_eq!(
        chat_threads_list(ann_session, first.next_cursor, 1, &mut second),
        chat_status::ChatOk
    );
    let second_page = unsafe { &*second };
    assert_eq!(unsafe { (*(*second_page.items).other).id }, bob);
    assert!(second_page.next_cursor.is_null());
    chat_thread_list_free(page);
    chat_thread_list_free(second);
    chat_session_free(ann_session);
    chat_close(store);
}

#[test]
fn the_version_strings_are_static_and_match_the_crate() {
    let version = unsafe { CStr::from_ptr(chat_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(chat_abi_version(), CHAT_ABI_VERSION);
}

both!(page_limits_are_the_cores_and_zero_is_refused);
fn page_limits_are_the_cores_and_zero_is_refused() {
    assert_eq!(CHAT_DEFAULT_PAGE_LIMIT, chatcore::DEFAULT_PAGE_LIMIT);
    assert_eq!(CHAT_MAX_PAGE_LIMIT, chatcore::MAX_PAGE_LIMIT);
    let store = open_store();
    register(store, "ann");
    let session = login(store, "ann");
    let mut users = ptr::null_mut();
    let prefix = c("a");
    for (limit, status) in [
        (0, chat_status::ChatErrInvalidArgument),
        (CHAT_MAX_PAGE_LIMIT + 1, chat_status::ChatErrInvalidArgument),
        (CHAT_MAX_PAGE_LIMIT, chat_status::ChatOk),
    ] {
        assert_eq!(
            chat_users_search(session, prefix.as_ptr(), limit, &mut users),
            status,
            "limit {limit}"
        );
    }
    chat_user_list_free(users);
    chat_session_free(session);
    chat_close(store);
}

both!(a_created_or_fetched_thread_carries_its_summary);
fn a_created_or_fetched_thread_carries_its_summary() {
    let store = open_store();
    let ann = register(store, "ann");
    let bob = register(store, "bob");
    let ann_session = login(store, "ann");
    let bob_session = login(store, "bob");
    let mut thread = ptr::null_mut();
    let mut created = false;
    let pair = [ann, bob];
    assert_eq!(
        chat_thread_create(ann_session, pair.as_ptr(), 2, &mut thread, &mut created),
        chat_status::ChatOk
    );
    let fresh = unsafe { &*thread };
    assert!(created && fresh.last_message.is_null() && fresh.unread_count == 0);
    assert_eq!(unsafe { (*fresh.other).id }, bob);
    let thread_id = fresh.id;
    chat_thread_free(thread);
    let mut message = ptr::null_mut();
    let text = c("hello");
    assert_eq!(
        chat_message_send(ann_session, thread_id, text.as_ptr(), &mut message),
        chat_status::ChatOk
    );
    chat_message_free(message);
    assert_eq!(
        chat_thread_get(bob_session, thread_id, &mut thread),
        chat_status::ChatOk
    );
    let seen = unsafe { &*thread };
    assert_eq!(unsafe { (*seen.other).id }, ann);
    assert_eq!(seen.unread_count, 1);
    assert_eq!(
        unsafe { CStr::from_ptr((*seen.last_message).text) }.to_str(),
        Ok("hello")
    );
    chat_thread_free(thread);
    chat_session_free(ann_session);
    chat_session_free(bob_session);
    chat_close(store);
}

#[test]
fn a_nul_in_an_error_message_does_not_cost_the_message() {
    let status = call(|| Err(Error::InvalidImport("pk 1: a\0b".into())));
    assert_eq!(status, chat_status::ChatErrInvalidImport);
    assert_eq!(
        last_error().as_deref(),
        Some("cannot import: pk 1: a\u{FFFD}b")
    );
}

both!(import_set_password_backup_and_export_round_trip);
fn import_set_password_backup_and_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let dump = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/c/dumpdata.json");
    let store = open_store();
    let mut report = ptr::null_mut();
    let dump = c(dump);
    for dry_run in [true, false] {
        assert_eq!(
            chat_import_django(store, dump.as_ptr(), dry_run, &mut report),
            chat_status::ChatOk,
            "{:?}",
            last_error()
        );
        let got = unsafe { *report };
        assert_eq!(
            [
                got.users,
                got.users_without_login,
                got.threads,
                got.messages
            ],
            [2, 1, 1, 2]
        );
        assert_eq!((got.threads_merged, got.skipped_total), (0, 1));
        chat_import_report_free(report);
    }
    let mut again = ptr::null_mut();
    assert_eq!(
        chat_import_django(store, dump.as_ptr(), false, &mut again),
        chat_status::ChatErrInvalidImport
    );
    assert!(again.is_null());
    let max = 9;
    assert_eq!(
        chat_user_set_password(store, max, c("new password").as_ptr()),
        chat_status::ChatOk
    );
    let mut session = ptr::null_mut();
    assert_eq!(
        chat_login(
            store,
            c("max@example.com").as_ptr(),
            c("new password").as_ptr(),
            &mut session
        ),
        chat_status::ChatOk
    );
    let mut unread = 0;
    assert_eq!(chat_unread_count(session, &mut unread), chat_status::ChatOk);
    assert_eq!(unread, 1);
    chat_session_free(session);

    let backup_path = dir.path().join("backup.db");
    let backup = c(backup_path.to_str().unwrap());
    if crate::test_backend::is_postgres() {
        // A PostgreSQL store is copied with chat copy / pg_dump, not
        // backed up to a file: refused, and nothing written.
        assert_eq!(
            chat_backup(store, backup.as_ptr()),
            chat_status::ChatErrInvalidArgument
        );
        assert!(last_error().unwrap().contains("chat copy"));
        assert!(!backup_path.exists());
    } else {
        assert_eq!(chat_backup(store, backup.as_ptr()), chat_status::ChatOk);
        assert_eq!(
            chat_backup(store, backup.as_ptr()),
            chat_status::ChatErrInvalidArgument
        );
    }
    let export_path = dir.path().join("export.json");
    let export = c(export_path.to_str().unwrap());
    assert_eq!(
        chat_export_django(store, export.as_ptr()),
        chat_status::ChatOk
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&export_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let exported = std::fs::read(&export_path).unwrap();
    assert_eq!(
        chat_export_django(store, export.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(std::fs::read(&export_path).unwrap(), exported, "untouched");
    let missing = c(dir.path().join("no/such/dir/x.json").to_str().unwrap());
    assert_eq!(
        chat_export_django(store, missing.as_ptr()),
        chat_status::ChatErrStorage
    );
    assert_eq!(
        chat_import_django(store, missing.as_ptr(), true, &mut again),
        chat_status::ChatErrStorage
    );
    // A directory is never replaced by an export, and cannot be read as a
    // dump (a read failure, so CHAT_ERR_STORAGE, not an invalid import).
    let folder = c(dir.path().to_str().unwrap());
    assert_eq!(
        chat_export_django(store, folder.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(
        chat_import_django(store, folder.as_ptr(), true, &mut again),
        chat_status::ChatErrStorage
    );
    // An existing empty file is refused too, and kept as it was.
    let empty_path = dir.path().join("empty.json");
    std::fs::write(&empty_path, "").unwrap();
    let empty = c(empty_path.to_str().unwrap());
    assert_eq!(
        chat_export_django(store, empty.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(std::fs::read(&empty_path).unwrap(), b"");

    let copy = open_store();
    assert_eq!(
        chat_import_django(copy, export.as_ptr(), false, &mut report),
        chat_status::ChatOk,
        "{:?}",
        last_error()
    );
    let got = unsafe { *report };
    assert_eq!([got.users, got.threads, got.messages], [2, 1, 2]);
    chat_import_report_free(report);
    chat_close(copy);
    chat_close(store);
}

/// The boundary's pointer and string helpers and the result structs'
/// ownership, without a store: so that Miri, which cannot run SQLite, checks
/// them too (`cargo +nightly miri test -p chatcore-ffi --lib -- store_free`).
#[test]
fn store_free_boundary_helpers_and_result_structs() {
    use crate::boundary::{arg_opt_str, arg_out, arg_str, free_box, into_raw};
    use chrono::{TimeZone, Utc};

    // Strings in: NULL, invalid UTF-8 and valid text.
    assert!(matches!(
        arg_str(ptr::null(), "name"),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(arg_opt_str(ptr::null(), "name").unwrap(), None);
    let bad = CString::new(vec![0x66, 0xff, 0x6f]).unwrap();
    assert!(matches!(
        arg_str(bad.as_ptr(), "name"),
        Err(Error::InvalidArgument(_))
    ));
    let good = c("lètmein");
    assert_eq!(arg_str(good.as_ptr(), "name").unwrap(), "lètmein");

    // Out-pointers: NULL refused; a written value is readable; untouched otherwise.
    assert!(arg_out::<i64>(ptr::null_mut(), "out").is_err());
    let mut slot: i64 = 7;
    arg_out(&mut slot, "out").unwrap().write(42);
    assert_eq!(slot, 42);

    // Result structs own their strings and sub-structs; freeing them frees all.
    let when = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let ann = chatcore::User {
        id: chatcore::UserId(1),
        email: "ann@example.com".into(),
        username: "ann".into(),
        first_name: "Ann".into(),
        last_name: String::new(),
        created_at: when,
    };
    let message = chatcore::Message {
        id: chatcore::MessageId(9),
        thread_id: chatcore::ThreadId(3),
        sender_id: ann.id,
        text: "hi 😀".into(),
        created_at: when,
        read_at: None,
        edited_at: Some(when),
        deleted_at: None,
    };
    let user = into_raw(chat_user::from_core(&ann));
    let c_user = unsafe { &*user };
    assert_eq!(
        unsafe { CStr::from_ptr(c_user.username) }.to_str().unwrap(),
        "ann"
    );
    assert_eq!(c_user.created_at, when.timestamp_millis());
    free_box(user);
    let page = chatcore::MessagePage {
        items: vec![message.clone(), message],
        has_more: true,
    };
    let list = into_raw(chat_message_list::from_core(&page));
    let c_list = unsafe { &*list };
    assert_eq!(c_list.len, 2);
    let second = unsafe { &*c_list.items.add(1) };
    assert_eq!(
        unsafe { CStr::from_ptr(second.text) }.to_str().unwrap(),
        "hi 😀"
    );
    assert_eq!(second.read_at, 0);
    assert_eq!(second.edited_at, when.timestamp_millis());
    assert_eq!(second.deleted_at, 0);
    free_box(list);
    free_box::<chat_user>(ptr::null_mut());
}
