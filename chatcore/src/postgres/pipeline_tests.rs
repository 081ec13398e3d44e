//! A transaction whose `BEGIN` goes with its first statement and whose last
//! write carries the `COMMIT` (`PgTx::take_begin`, `PgTx::query_and_commit`):
//! what is committed, what is rolled back, and how a failure after the
//! commit is reported.

use super::connect::Target;
use super::tests::{Schema, server};
use super::{CommitWith, Conn, PgTx, State};
use crate::storage::{CountsWrite, Mode, NewChange};
use crate::{Config, Error, NewUser, Store};
use chrono::Utc;
use std::time::Duration;

const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// Registers `name` (`name@example.com`, password `name`'s own).
fn register(store: &Store, name: &str) -> crate::User {
    let email = format!("{name}@example.com");
    let password = format!("{name} password");
    store
        .register(&NewUser {
            email: &email,
            username: name,
            password: &password,
            ..Default::default()
        })
        .unwrap()
}

/// A store with one user in a new schema, a pooled-kind connection to it,
/// and the user's id.
fn setup(schema: &Schema) -> (Store, Conn, i64) {
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    let ann = register(&store, "ann");
    let conn = Target::parse(&schema.url(), Duration::from_secs(5))
        .unwrap()
        .connect()
        .unwrap();
    (store, conn, ann.id.0)
}

/// The user's first and last name, as another connection sees them.
fn names(schema: &Schema, user: i64) -> (String, String) {
    let row = schema
        .client()
        .query_one(
            "SELECT first_name, last_name FROM users WHERE id = $1",
            &[&user],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Whether the connection is inside a transaction block: an id taken by
/// one statement is still the transaction's at the next one only there.
fn in_transaction(conn: &Conn) -> bool {
    conn.client
        .query_one("SELECT pg_current_xact_id()", &[])
        .unwrap();
    let row = conn
        .client
        .query_one("SELECT pg_current_xact_id_if_assigned() IS NOT NULL", &[])
        .unwrap();
    row.get(0)
}

const SET_FIRST: &str = "UPDATE users SET first_name = $2 WHERE id = $1";
const SET_LAST: &str = "UPDATE users SET last_name = $2 WHERE id = $1 RETURNING id";

#[test]
fn the_last_write_commits_everything_before_it_and_what_follows_begins_anew() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (_store, mut conn, ann) = setup(&schema);
    let mut tx = PgTx::deferred(&mut conn, true, BEGIN, CommitWith::Allowed);
    assert_eq!(tx.state, State::NotBegun);
    tx.execute(SET_FIRST, &[&ann, &"Ann"]).unwrap();
    assert_eq!(tx.state, State::Open);
    // Inside the transaction begun with the first statement: not visible yet.
    assert_eq!(names(&schema, ann), (String::new(), String::new()));
    let rows = tx
        .query_and_commit(SET_LAST, &[&ann, &"Lee"], false)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (tx.state, tx.commit_with),
        (State::Ended, CommitWith::Committed)
    );
    assert_eq!(names(&schema, ann), ("Ann".into(), "Lee".into()));
    // What follows runs in a transaction of its own, begun with it.
    tx.execute(SET_FIRST, &[&ann, &"Bo"]).unwrap();
    assert_eq!(tx.state, State::Open);
    assert!(in_transaction(&conn));
    conn.client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(names(&schema, ann), ("Ann".into(), "Lee".into()));
}

#[test]
fn a_last_write_that_fails_rolls_everything_back() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (_store, mut conn, ann) = setup(&schema);
    let mut tx = PgTx::deferred(&mut conn, true, BEGIN, CommitWith::Allowed);
    tx.execute(SET_FIRST, &[&ann, &"Ann"]).unwrap();
    let failed = tx.query_and_commit("SELECT 1 / ($1::bigint - $1)", &[&ann], true);
    assert!(matches!(failed, Err(Error::Storage { .. })), "{failed:?}");
    // Not a failed commit: the statement failed, nothing was written, and
    // the call may run again.
    assert_eq!(
        (tx.state, tx.commit_with),
        (State::Ended, CommitWith::Allowed)
    );
    assert!(!tx.broken);
    assert!(!in_transaction(&conn));
    assert_eq!(names(&schema, ann), (String::new(), String::new()));
}

#[test]
fn a_transaction_that_must_stay_open_keeps_its_commit_to_the_end() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (_store, mut conn, ann) = setup(&schema);
    let mut tx = PgTx::deferred(&mut conn, true, BEGIN, CommitWith::Never);
    tx.query_and_commit(SET_LAST, &[&ann, &"Lee"], false)
        .unwrap();
    assert_eq!((tx.state, tx.commit_with), (State::Open, CommitWith::Never));
    conn.client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(names(&schema, ann), (String::new(), String::new()));
}

#[test]
fn a_failure_after_the_commit_says_the_change_is_stored_and_runs_nothing_again() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (store, _conn, ann) = setup(&schema);
    let user = crate::ids::UserId(ann);
    let entry = NewChange {
        user,
        kind: 1,
        at: Utc::now(),
        thread_id: None,
        message_id: None,
        other_id: None,
    };
    let mut runs = 0;
    let result = store.backend().run(Mode::Write, &mut |tx| {
        runs += 1;
        tx.apply_counts(&CountsWrite {
            member: (user, crate::ids::ThreadId(1), 0),
            total: (user, 5),
            feed: std::slice::from_ref(&entry),
            last: true,
        })?;
        // The feed's upkeep, say, failing after the commit.
        Err(Error::Busy)
    });
    let Err(Error::Storage { message, .. }) = result else {
        panic!("expected a storage error, got {result:?}");
    };
    assert!(message.contains("stored"), "{message}");
    assert_eq!(runs, 1);
    let total: i64 = schema
        .client()
        .query_one("SELECT unread_total FROM users WHERE id = $1", &[&ann])
        .unwrap()
        .get(0);
    assert_eq!(total, 5);
}

#[test]
fn a_read_moves_the_counters_only_if_it_set_the_read_time() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (store, _conn, ann) = setup(&schema);
    let bob = register(&store, "bob");
    let bobs = store.login("bob@example.com", "bob password").unwrap();
    let anns = store.login("ann@example.com", "ann password").unwrap();
    let ann_id = crate::ids::UserId(ann);
    let (thread, _) = bobs.create_thread(&[ann_id, bob.id]).unwrap();
    let message = bobs.send(thread.id, "hi Ann").unwrap();
    assert_eq!(anns.unread_count().unwrap(), 1);
    let entry = NewChange {
        user: ann_id,
        kind: 4,
        at: Utc::now(),
        thread_id: Some(thread.id),
        message_id: Some(message.id),
        other_id: Some(ann_id),
    };
    let read = |last: bool| {
        let mut answer = None;
        store
            .backend()
            .run(Mode::Write, &mut |tx| {
                answer = Some(tx.apply_read(
                    message.id,
                    Utc::now(),
                    &CountsWrite {
                        member: (ann_id, thread.id, -1),
                        total: (ann_id, -1),
                        feed: std::slice::from_ref(&entry),
                        last,
                    },
                )?);
                Ok(())
            })
            .unwrap();
        answer.flatten()
    };
    assert_eq!(read(true).map(|seqs| seqs.len()), Some(1));
    assert_eq!(anns.unread_count().unwrap(), 0);
    // Read already: nothing is written, the counters stay (they would go
    // below zero, which the schema refuses).
    assert_eq!(read(true), None);
    assert_eq!(read(false), None);
    assert_eq!(anns.unread_count().unwrap(), 0);
}
