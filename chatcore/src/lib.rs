//! An embedded chat store: users, login sessions, two-person threads and
//! their messages, in one SQLite file.
//!
//! Open a [`Store`], [`register`](Store::register) and
//! [`login`](Store::login) to get a [`Session`], and act through it: every
//! user action checks the session first, and every rule (who may read a
//! thread, who may mark a message read) is enforced here, in one place.
//!
//! ```
//! use chatcore::{Config, MessageQuery, NewUser, Store};
//!
//! let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
//! let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
//! let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
//!
//! let ann_session = store.login("ann@example.com", "correct horse")?;
//! let (thread, created) = ann_session.create_thread(&[ann.id, bob.id])?;
//! assert!(created);
//! ann_session.send(thread.id, "hi Bob")?;
//!
//! let bob_session = store.login("bob@example.com", "battery staple")?;
//! assert_eq!(bob_session.unread_count()?, 1);
//! let page = bob_session.list_messages(thread.id, &MessageQuery::default())?;
//! assert_eq!(page.items[0].text, "hi Bob");
//! assert_eq!(bob_session.mark_thread_read(thread.id, None)?, 1);
//! assert_eq!(bob_session.unread_count()?, 0);
//! # Ok::<(), chatcore::Error>(())
//! ```
//!
//! Times are UTC [`chrono::DateTime`]s, serialized as RFC 3339 in UTC with
//! exactly three fractional digits (`2026-03-10T12:00:00.000Z`, the store's
//! millisecond precision). Every model implements `serde::Serialize` with
//! snake_case fields.

#![warn(missing_docs)]

mod accounts;
mod bulk;
mod checkpoint;
mod config;
mod django;
mod error;
mod export;
pub mod files;
mod ids;
mod import_limits;
mod lookup;
mod messages;
mod open;
mod page;
mod password;
mod rfc3339;
mod schema;
mod store;
mod stored_hash;
mod threads;

pub use accounts::{
    MAX_EMAIL_BYTES, MAX_NAME_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, NewUser, Session,
    SessionInfo, User, validate_password,
};
pub use bulk::{BULK_CACHE_KIB, BulkLoad, BulkMessage, BulkStats, BulkUser};
pub use checkpoint::Checkpoints;
pub use config::{Clock, Config, Durability, ManualClock, PasswordCost, SystemClock};
pub use django::ImportReport;
pub use error::{Error, Result};
pub use ids::{MessageId, ThreadId, UserId};
pub use import_limits::{
    AccountWithoutLogin, MAX_IMPORT_ENTRY_BYTES, MAX_IMPORTED_ID, NoLoginReason,
};
pub use lookup::{EMAIL_PREFIX, ID_PREFIX, USERNAME_PREFIX, UserCandidate, UserRef};
pub use messages::{Message, MessagePage, MessageQuery, UnreadMismatch, UnreadReport};
pub use page::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use store::Store;
pub use threads::{Thread, ThreadPage, ThreadQuery, ThreadSummary};
pub use uuid::Uuid;

/// The schema version this library writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = schema::VERSION;

#[cfg(test)]
mod query_plans {
    //! The hot queries use their indexes: no full scan of a table and no
    //! temporary sort, either of which would make a call cost O(rows).

    use crate::{Config, NewUser, Store};

    const HOT: &[(&str, &str)] = &[
        ("history page before", crate::messages::sql::PAGE_BEFORE),
        ("history page after", crate::messages::sql::PAGE_AFTER),
        ("inbox page", crate::threads::sql::INBOX),
        (
            "unread count",
            "SELECT unread_total FROM users WHERE id = ?1",
        ),
        (
            "session check",
            "SELECT id, user_id, last_used_at, expires_at FROM sessions WHERE token_hash = ?1",
        ),
        (
            "thread by pair",
            "SELECT id FROM threads WHERE user_low = ?1 AND user_high = ?2",
        ),
        (
            "mark thread read",
            "UPDATE messages SET read_at = ?5 WHERE thread_id = ?1 AND id > ?2 AND id <= ?3 AND sender_id = ?4 AND read_at IS NULL",
        ),
        ("user by email", "SELECT id FROM users WHERE email_key = ?1"),
        (
            "user by username key",
            "SELECT id, email, username, first_name, last_name, created_at FROM users WHERE username_key = ?1",
        ),
    ];

    #[test]
    fn hot_queries_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db");
        let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
        store
            .register(&NewUser {
                email: "a@example.com",
                username: "a",
                password: "password123",
                ..Default::default()
            })
            .unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        // chatcore never runs ANALYZE: statistics gathered on a tiny file
        // would go stale and could lead the planner to scan a small table
        // that later grows. Plans here are the planner's without statistics.
        for (name, sql) in HOT {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |row| {
                    row.get::<_, String>(3)
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let text = plan.join(" / ");
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN"),
                    "{name} scans a whole table: {text}"
                );
                assert!(
                    !step.contains("TEMP B-TREE"),
                    "{name} sorts in a temp b-tree: {text}"
                );
            }
        }
    }
}

#[cfg(test)]
mod statement_reuse {
    //! PERF-NOTES lesson 1: without QPSG, SQLite re-plans a cached paging
    //! statement whenever its bound LIMIT or key changes. The store turns
    //! QPSG on; this checks that the cached statements are never re-prepared.

    use crate::{Config, MessageId, MessageQuery, NewUser, Store, ThreadQuery};
    use rusqlite::StatementStatus;

    #[test]
    fn paging_statements_are_not_re_prepared_when_their_bindings_change() {
        let store = Store::open_in_memory_with(Config::insecure_fast_for_tests()).unwrap();
        for name in ["ann", "bob"] {
            let email = format!("{name}@example.com");
            store
                .register(&NewUser {
                    email: &email,
                    username: name,
                    password: "password123",
                    ..Default::default()
                })
                .unwrap();
        }
        let ann = store.login("ann@example.com", "password123").unwrap();
        let bob = ann.find_user("bob").unwrap();
        let (thread, _) = ann.create_thread(&[ann.user_id(), bob.id]).unwrap();
        for i in 0..30 {
            ann.send(thread.id, &format!("m{i}")).unwrap();
        }
        for i in 1..=20u32 {
            let before = Some(MessageId(i64::from(30 - i)));
            ann.list_messages(
                thread.id,
                &MessageQuery {
                    before,
                    limit: Some(i),
                    ..Default::default()
                },
            )
            .unwrap();
            ann.list_threads(&ThreadQuery {
                limit: Some(i),
                ..Default::default()
            })
            .unwrap();
        }
        let counts = store
            .read(|tx| {
                let mut counts = Vec::new();
                for sql in [
                    crate::messages::sql::PAGE_BEFORE,
                    crate::threads::sql::INBOX,
                ] {
                    let stmt = tx.prepare_cached(sql)?;
                    counts.push(stmt.get_status(StatementStatus::RePrepare));
                }
                Ok(counts)
            })
            .unwrap();
        assert_eq!(
            counts,
            vec![0, 0],
            "re-prepares of the history and inbox statements"
        );
    }
}
