//! [`ImportStorage`] on SQLite: deferred foreign keys and the recompute
//! after an import.

use super::SqliteTx;
use super::rows::{
    MESSAGE_COLUMNS, THREAD_COLUMNS, USER_COLUMNS, message_from_row, thread_from_row,
    user_from_row_at,
};
use crate::error::Result;
use crate::models::{Message, Thread, User};
use crate::storage::{DanglingReference, ImportStorage};
use rusqlite::{OptionalExtension, params};

impl ImportStorage for SqliteTx<'_> {
    fn begin_import(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "defer_foreign_keys", true)?;
        Ok(())
    }

    fn first_dangling_reference(&mut self) -> Result<Option<DanglingReference>> {
        // `threads` and `messages` carry the user references and have
        // rowids (their pks), so the first violation there names the entry.
        let violation = self
            .conn
            .query_row(
                "SELECT \"table\", rowid FROM pragma_foreign_key_check
                 ORDER BY \"table\" IN ('threads', 'messages') DESC LIMIT 1",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)),
            )
            .optional()?;
        Ok(
            violation.map(|(table, rowid)| match (table.as_str(), rowid) {
                ("threads", Some(pk)) => DanglingReference::Thread(pk),
                ("messages", Some(pk)) => DanglingReference::Message(pk),
                _ => DanglingReference::Other(table),
            }),
        )
    }

    fn recompute_activity(&mut self) -> Result<()> {
        // AUTOINCREMENT's counters (sqlite_sequence) already follow the
        // largest id inserted, so later ids stay above the imported ones.
        self.conn.execute_batch(
            "UPDATE threads SET
                 last_message_id = (SELECT max(id) FROM messages WHERE thread_id = threads.id),
                 last_activity_at = max(last_activity_at,
                     coalesce((SELECT max(created_at) FROM messages WHERE thread_id = threads.id), 0));
             UPDATE members SET last_activity_at = (SELECT last_activity_at FROM threads WHERE id = members.thread_id);",
        )?;
        Ok(())
    }

    fn highest_ids(&mut self) -> Result<[i64; 3]> {
        let mut ids = [0; 3];
        for (slot, table) in ids.iter_mut().zip(["users", "threads", "messages"]) {
            *slot = self.conn.query_row(
                &format!("SELECT coalesce(max(id), 0) FROM {table}"),
                [],
                |row| row.get(0),
            )?;
        }
        Ok(ids)
    }

    fn users_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(User, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, password_hash
             FROM users WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, up_to, limit], |row| {
            Ok((user_from_row_at(row, 0)?, row.get(6)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn threads_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Thread>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, up_to, limit], thread_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn messages_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, up_to, limit], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
