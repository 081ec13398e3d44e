//! Tests of the SQLite backend's own properties: the hot statements use
//! their indexes and are never re-planned.

#[cfg(test)]
mod query_plans {
    //! The hot queries use their indexes: no full scan of a table and no
    //! temporary sort, either of which would make a call cost O(rows).

    use crate::{Config, NewUser, Store};

    const HOT: &[(&str, &str)] = &[
        ("history page before", crate::sqlite::messages::PAGE_BEFORE),
        ("history page after", crate::sqlite::messages::PAGE_AFTER),
        ("inbox page", crate::sqlite::threads::INBOX),
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
        ("mark thread read", crate::sqlite::messages::MARK_RANGE_READ),
        (
            "message by client key",
            crate::sqlite::messages::BY_CLIENT_KEY,
        ),
        (
            "unread count for a session",
            crate::sqlite::messages::UNREAD_FOR_SESSION,
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
        // The in-memory store has one connection: the one that ran the calls.
        let counts = store
            .backend()
            .as_any()
            .downcast_ref::<crate::sqlite::Backend>()
            .unwrap()
            .with_connection(|conn| {
                let mut counts = Vec::new();
                for sql in [
                    crate::sqlite::messages::PAGE_BEFORE,
                    crate::sqlite::threads::INBOX,
                ] {
                    let stmt = conn.prepare_cached(sql)?;
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
