//! [`ImportStorage`] on PostgreSQL: deferred foreign keys, the recompute
//! after an import (and the id sequences moved past the ids it gave).

use super::PgTx;
use super::rows::{
    MESSAGE_COLUMNS, THREAD_COLUMNS, USER_COLUMNS, all, message, thread_at, user_at,
};
use crate::error::Result;
use crate::models::{Message, Thread, User};
use crate::storage::{DanglingReference, ImportStorage};

/// Each id sequence and its table.
const SEQUENCES: [(&str, &str); 3] = [
    ("users", "users_id_seq"),
    ("threads", "threads_id_seq"),
    ("messages", "messages_id_seq"),
];

impl ImportStorage for PgTx<'_> {
    fn begin_import(&mut self) -> Result<()> {
        self.execute("SET CONSTRAINTS ALL DEFERRED", &[])?;
        Ok(())
    }

    fn first_dangling_reference(&mut self) -> Result<Option<DanglingReference>> {
        let missing = "NOT EXISTS (SELECT 1 FROM users u WHERE u.id = {})";
        let thread = self.query_opt(
            &format!(
                "SELECT id FROM threads t WHERE {} OR {} ORDER BY id LIMIT 1",
                missing.replace("{}", "t.user_low"),
                missing.replace("{}", "t.user_high")
            ),
            &[],
        )?;
        if let Some(row) = thread {
            return Ok(Some(DanglingReference::Thread(row.try_get(0)?)));
        }
        let message = self.query_opt(
            &format!(
                "SELECT id FROM messages m WHERE {} ORDER BY id LIMIT 1",
                missing.replace("{}", "m.sender_id")
            ),
            &[],
        )?;
        if let Some(row) = message {
            return Ok(Some(DanglingReference::Message(row.try_get(0)?)));
        }
        let other = self.query_opt(
            &format!(
                "SELECT 'members' FROM members mb WHERE {} OR {}
                 UNION ALL SELECT 'sessions' FROM sessions s WHERE {} LIMIT 1",
                missing.replace("{}", "mb.user_id"),
                missing.replace("{}", "mb.other_id"),
                missing.replace("{}", "s.user_id")
            ),
            &[],
        )?;
        Ok(match other {
            Some(row) => Some(DanglingReference::Other(row.try_get(0)?)),
            None => None,
        })
    }

    fn recompute_activity(&mut self) -> Result<()> {
        self.execute(
            "UPDATE threads t SET
                 last_message_id = (SELECT max(id) FROM messages WHERE thread_id = t.id),
                 last_activity_at = greatest(t.last_activity_at,
                     coalesce((SELECT max(created_at) FROM messages WHERE thread_id = t.id), 0))",
            &[],
        )?;
        self.execute(
            "UPDATE members mb SET last_activity_at = t.last_activity_at
             FROM threads t WHERE t.id = mb.thread_id",
            &[],
        )?;
        // Ids are never reused: each sequence moves past the largest id in
        // its table, and never back.
        for (table, sequence) in SEQUENCES {
            self.execute(
                &format!(
                    "SELECT setval('{sequence}', greatest(v, 1), v > 0) FROM (
                         SELECT greatest(coalesce(pg_sequence_last_value('{sequence}'), 0),
                                         (SELECT coalesce(max(id), 0) FROM {table})) AS v) AS last"
                ),
                &[],
            )?;
        }
        // The end of a bulk write: fresh planner statistics, or the first
        // queries after it plan for the empty tables autovacuum last saw
        // (an inbox page sorted every member row of a user: 3.5x slower).
        self.execute("ANALYZE users, sessions, threads, members, messages", &[])?;
        Ok(())
    }

    fn highest_ids(&mut self) -> Result<[i64; 3]> {
        let row = self.query_one(
            "SELECT (SELECT coalesce(max(id), 0) FROM users),
                    (SELECT coalesce(max(id), 0) FROM threads),
                    (SELECT coalesce(max(id), 0) FROM messages)",
            &[],
        )?;
        Ok([row.try_get(0)?, row.try_get(1)?, row.try_get(2)?])
    }

    fn users_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(User, Option<String>)>> {
        let rows = self.query(
            &format!(
                "SELECT {USER_COLUMNS}, password_hash
                 FROM users WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
            ),
            &[&after, &up_to, &i64::from(limit)],
        )?;
        all(&rows, |row| Ok((user_at(row, 0)?, row.try_get(6)?)))
    }

    fn threads_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Thread>> {
        let rows = self.query(
            &format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
            ),
            &[&after, &up_to, &i64::from(limit)],
        )?;
        all(&rows, |row| thread_at(row, 0))
    }

    fn messages_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Message>> {
        let rows = self.query(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
            ),
            &[&after, &up_to, &i64::from(limit)],
        )?;
        all(&rows, message)
    }
}
