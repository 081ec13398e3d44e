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

#[test]
fn the_version_strings_are_static_and_match_the_crate() {
    let version = unsafe { CStr::from_ptr(chat_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(chat_abi_version(), CHAT_ABI_VERSION);
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
