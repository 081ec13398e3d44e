//! The pool's `COMMIT` with the feed's notification in one round trip
//! (`pool::commit`, `pool::committed`): a failed `COMMIT` skips the
//! notification and is not committed; a notification that fails after a
//! successful `COMMIT` leaves the work committed.

use super::connect::Target;
use super::pool::commit;
use super::tests::{Schema, server};
use crate::{Config, Store};
use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;

/// A connection of the pool's kind to a new store's schema, and the schema's name.
fn connection(schema: &Schema) -> (super::Conn, String) {
    drop(Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap());
    let conn = Target::parse(&schema.url(), Duration::from_secs(5))
        .unwrap()
        .connect()
        .unwrap();
    let name: String = conn
        .client
        .query_one("SELECT current_schema()", &[])
        .unwrap()
        .get(0);
    (conn, name)
}

/// Two users committed, then a transaction left open with a thread of
/// theirs in it, for `commit` to end.
const OPEN_THREAD: &str =
    "INSERT INTO users (email, email_key, username, username_key, first_name, last_name, created_at)
     VALUES ('a@x', 'a@x', 'a', 'a', '', '', 0), ('b@x', 'b@x', 'b', 'b', '', '', 0);
     BEGIN;
     INSERT INTO threads (user_low, user_high, created_at, last_activity_at)
     SELECT min(id), max(id), 0, 0 FROM users";

fn thread_rows(conn: &super::Conn, schema: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {schema}.threads");
    conn.client.query_one(&sql, &[]).unwrap().get(0)
}

#[test]
fn a_commit_that_fails_is_not_committed_and_skips_the_notification() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (conn, name) = connection(&schema);
    // A thread of users that do not exist, its foreign keys deferred to the
    // COMMIT, which then fails.
    conn.client
        .batch_execute(
            "BEGIN; SET CONSTRAINTS ALL DEFERRED;
             INSERT INTO threads (user_low, user_high, created_at, last_activity_at)
             VALUES (900001, 900002, 0, 0)",
        )
        .unwrap();
    assert!(commit(&conn.client, true).is_err(), "not committed");
    // The server skipped the rest of the string: no transaction is open.
    assert_eq!(thread_rows(&conn, &name), 0);
    conn.client.batch_execute("BEGIN; COMMIT").unwrap();
}

#[test]
fn a_notification_that_fails_after_the_commit_leaves_the_work_committed() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (conn, name) = connection(&schema);
    conn.client.batch_execute(OPEN_THREAD).unwrap();
    // Outside the schema the channel's name is NULL: the notification
    // fails, after the COMMIT has succeeded.
    conn.client
        .batch_execute("SET search_path = chatcore_no_such_schema")
        .unwrap();
    // Committed, the connection not to be reused.
    assert!(!commit(&conn.client, true).unwrap());
    conn.client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(thread_rows(&conn, &name), 1);
}

#[test]
fn a_commit_with_its_notification_commits_and_notifies() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let (conn, name) = connection(&schema);
    let mut listener = schema.client();
    let channel: String = listener
        .query_one(&format!("SELECT {}", super::feed::CHANNEL), &[])
        .unwrap()
        .get(0);
    listener
        .batch_execute(&format!("LISTEN \"{channel}\""))
        .unwrap();
    conn.client.batch_execute(OPEN_THREAD).unwrap();
    assert!(commit(&conn.client, true).unwrap());
    assert_eq!(thread_rows(&conn, &name), 1);
    let mut notifications = listener.notifications();
    let mut waiting = notifications.timeout_iter(Duration::from_secs(5));
    let note = waiting.next().unwrap().expect("a notification within 5 s");
    assert_eq!(note.channel(), channel);
}
