//! [`ImportStorage`] on SQLite: deferred foreign keys and the recompute
//! after an import.

use super::SqliteTx;
use crate::error::Result;
use crate::storage::{DanglingReference, ImportStorage};
use rusqlite::OptionalExtension;

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
}
