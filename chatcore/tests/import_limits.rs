//! What an import refuses beyond the live API's rules (ids above the bound,
//! entries over the size limit), what an id space used up says, and the
//! accounts the report names as unable to log in yet.

mod common;

use chatcore::{
    Error, ImportReport, MAX_IMPORT_ENTRY_BYTES, MAX_IMPORTED_ID, NewUser, NoLoginReason, Store,
    UserId,
};
use common::*;
use std::io::Read;

const HASH: &str = "pbkdf2_sha256$1000$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

fn user(pk: impl std::fmt::Display, name: &str, password: &str, active: bool) -> String {
    format!(
        r#"{{"model": "user.user", "pk": {pk}, "fields": {{"password": "{password}", "email": "{name}@example.com", "username": "{name}", "is_active": {active}}}}}"#
    )
}

fn import(store: &Store, entries: &[String]) -> chatcore::Result<ImportReport> {
    store.import_django(format!("[{}]", entries.join(",\n")).as_bytes(), false)
}

fn count(store_path: &std::path::Path, table: &str) -> i64 {
    row_count(store_path, table)
}

fn register(store: &Store, name: &str) -> chatcore::Result<chatcore::User> {
    store.register(&NewUser {
        email: &format!("{name}@example.com"),
        username: name,
        password: PASSWORD,
        ..Default::default()
    })
}

fn ids_above_the_bound_are_refused_by_name_and_nothing_is_imported(b: &TestBackend) {
    let (path, store) = b.shared_store();
    for pk in [
        i64::MAX.to_string(),
        (MAX_IMPORTED_ID + 1).to_string(),
        u64::MAX.to_string(),
    ] {
        let entries = [user(1, "ann", HASH, true), user(&pk, "bob", HASH, true)];
        let err = import(&store, &entries).unwrap_err();
        let Error::InvalidImport(message) = &err else {
            panic!("{err:?}");
        };
        assert!(message.contains(&format!("user.user pk {pk}")), "{message}");
        assert!(message.contains(&MAX_IMPORTED_ID.to_string()), "{message}");
        assert_eq!(count(&path, "users"), 0);
    }
    // The store goes on numbering its own users.
    assert_eq!(register(&store, "cyd").unwrap().id, UserId(1));
}
both!(ids_above_the_bound_are_refused_by_name_and_nothing_is_imported);

fn ids_up_to_the_bound_import_and_the_store_numbers_on_after_them(b: &TestBackend) {
    let (_path, store) = b.shared_store();
    let top = MAX_IMPORTED_ID;
    let entries = [
        user(top - 1, "ann", HASH, true),
        user(top, "bob", HASH, true),
        format!(
            r#"{{"model": "chat.thread", "pk": {top}, "fields": {{"participants": [{}, {top}]}}}}"#,
            top - 1
        ),
        format!(
            r#"{{"model": "chat.message", "pk": {top}, "fields": {{"thread": {top}, "sender": {top}, "text": "hi"}}}}"#
        ),
    ];
    import(&store, &entries).unwrap();
    let cyd = register(&store, "cyd").unwrap();
    assert_eq!(cyd.id, UserId(top + 1));
    let (_, session) = (cyd, store.login("cyd@example.com", PASSWORD).unwrap());
    let (thread, _) = session
        .create_thread(&[UserId(top + 1), UserId(top)])
        .unwrap();
    assert_eq!(thread.id.get(), top + 1);
    let message = session.send(thread.id, "numbered on").unwrap();
    assert_eq!(message.id.get(), top + 1);
}
both!(ids_up_to_the_bound_import_and_the_store_numbers_on_after_them);

#[test]
fn an_id_space_used_up_says_so_not_disk_full() {
    let (_dir, path, store) = file_store();
    let (ann, session) = common::user(&store, "ann");
    let (bob, _) = common::user(&store, "bob");
    let (thread, _) = session.create_thread(&[ann.id, bob.id]).unwrap();
    session.send(thread.id, "first").unwrap();
    // What an import before the bound could leave: the largest possible id taken.
    let use_up = |table: &str| {
        raw(&path)
            .execute(
                "UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2",
                rusqlite::params![i64::MAX, table],
            )
            .unwrap()
    };
    use_up("messages");
    let err = session.send(thread.id, "one more").unwrap_err();
    assert_eq!(err.code(), "storage");
    let message = err.to_string();
    assert!(
        message.contains("message ids of this database are used up"),
        "{message}"
    );
    assert!(!message.contains("disk or database is full"), "{message}");
    register(&store, "cyd").unwrap();
    use_up("users");
    let err = register(&store, "dee").unwrap_err();
    assert!(
        err.to_string()
            .contains("the message and user ids of this database are used up"),
        "{err}"
    );
    // Nothing else is affected: reads work, and a failed write changed nothing.
    assert_eq!(count(&path, "messages"), 1);
    assert_eq!(session.me().unwrap().username, "ann");
}

fn an_entry_over_the_size_limit_is_refused_by_position(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let big = "x".repeat(MAX_IMPORT_ENTRY_BYTES as usize + 1);
    let entries = [
        user(1, "ann", HASH, true),
        format!(
            r#"{{"model": "user.user", "pk": 2, "fields": {{"password": "!", "email": "b@example.com", "username": "bob", "first_name": "{big}"}}}}"#
        ),
        user(3, "cyd", HASH, true),
    ];
    let err = import(&store, &entries).unwrap_err();
    let Error::InvalidImport(message) = &err else {
        panic!("{err:?}");
    };
    assert!(
        message.contains("entry 2, the one after user.user pk 1"),
        "{message}"
    );
    assert!(
        message.contains(&MAX_IMPORT_ENTRY_BYTES.to_string()),
        "{message}"
    );
    assert_eq!(count(&path, "users"), 0);
    // Just under the limit is read (and then judged by the usual rules).
    let fits = "x".repeat(MAX_IMPORT_ENTRY_BYTES as usize - 200);
    let entries = [format!(
        r#"{{"model": "auth.group", "pk": 2, "fields": {{"name": "{fits}"}}}}"#
    )];
    assert_eq!(import(&store, &entries).unwrap().skipped["auth.group"], 1);
}
both!(an_entry_over_the_size_limit_is_refused_by_position);

/// An endless text field: reading it whole would never finish.
struct Endless {
    prefix: &'static [u8],
    sent: u64,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at = self.sent as usize;
        let n = if at < self.prefix.len() {
            let n = buf.len().min(self.prefix.len() - at);
            buf[..n].copy_from_slice(&self.prefix[at..at + n]);
            n
        } else {
            buf.fill(b'a');
            buf.len()
        };
        self.sent += n as u64;
        Ok(n)
    }
}

fn an_endless_entry_is_refused_without_being_read_whole(b: &TestBackend) {
    let store = b.store();
    let mut endless = Endless {
        prefix: br#"[{"model": "chat.message", "pk": 1, "fields": {"text": ""#,
        sent: 0,
    };
    let err = store.import_django(&mut endless, false).unwrap_err();
    assert_eq!(err.code(), "invalid_import", "{err}");
    assert!(err.to_string().contains("entry 1 is larger than"), "{err}");
    // Read up to the limit and a buffer, not more.
    assert!(
        endless.sent <= MAX_IMPORT_ENTRY_BYTES + 64 * 1024,
        "read {} bytes",
        endless.sent
    );
}
both!(an_endless_entry_is_refused_without_being_read_whole);

fn the_report_names_each_account_that_cannot_log_in_and_why(b: &TestBackend) {
    let store = b.store();
    let entries = [
        user(1, "ann", HASH, true),
        user(2, "bert", "!unusable", true),
        user(3, "cyd", HASH, false),
        user(4, "dee", "", true),
    ];
    let report = import(&store, &entries).unwrap();
    assert_eq!(report.users_without_login, 3);
    let named: Vec<(i64, &str, &str, NoLoginReason)> = report
        .accounts_without_login
        .iter()
        .map(|a| {
            (
                a.user_id.get(),
                a.username.as_str(),
                a.email.as_str(),
                a.reason,
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                2,
                "bert",
                "bert@example.com",
                NoLoginReason::UnusablePassword
            ),
            (3, "cyd", "cyd@example.com", NoLoginReason::Inactive),
            (4, "dee", "dee@example.com", NoLoginReason::UnusablePassword),
        ]
    );
    let json = serde_json::to_value(&report.accounts_without_login[1]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"user_id": 3, "username": "cyd", "email": "cyd@example.com", "reason": "inactive"})
    );
    // A dump where everyone can log in names nobody.
    let other = b.store();
    let report = import(&other, &[user(1, "ann", HASH, true)]).unwrap();
    assert!(report.accounts_without_login.is_empty());
}
both!(the_report_names_each_account_that_cannot_log_in_and_why);
