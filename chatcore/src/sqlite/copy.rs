//! [`CopyStorage`] on SQLite: every stored field, in keyset pages.

use super::rows::{MESSAGE_COLUMNS, USER_COLUMNS, message_from_row_at, user_from_row_at};
use super::{SqliteTx, from_millis, to_millis};
use crate::error::{Error, Result};
use crate::models::Message;
use crate::storage::{CopyStorage, MemberKey, MemberRow, SessionRow, UserRow};
use rusqlite::params;

impl CopyStorage for SqliteTx<'_> {
    fn row_counts(&mut self) -> Result<[i64; 4]> {
        // One statement: one snapshot even outside a transaction.
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions),
                    (SELECT count(*) FROM threads), (SELECT count(*) FROM messages)",
            [],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?]),
        )?)
    }

    fn user_rows_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<UserRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, email_key, username_key, password_hash, unread_total,
                    max(changes_pruned_through, coalesce(
                        (SELECT max(c.id) FROM changes c WHERE c.user_id = users.id), 0))
             FROM users WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, up_to, limit], |row| {
            Ok(UserRow {
                user: user_from_row_at(row, 0)?,
                email_key: row.get(6)?,
                username_key: row.get(7)?,
                password_hash: row.get(8)?,
                unread_total: row.get(9)?,
                changes_through: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn sessions_page(
        &mut self,
        after: Option<uuid::Uuid>,
        up_to_user: i64,
        limit: u32,
    ) -> Result<Vec<(SessionRow, [u8; 32])>> {
        // Ids are stored as lowercase hyphenated text (`insert_session`),
        // whose order is the UUID's byte order; '' sorts before every id,
        // and a plain `id > ?` is a search of the primary key's index.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, user_id, created_at, last_used_at, expires_at, token_hash FROM sessions
             WHERE id > ?1 AND user_id <= ?2 ORDER BY id LIMIT ?3",
        )?;
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        let rows = stmt
            .query_map(params![after, up_to_user, limit], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    SessionRow {
                        id: uuid::Uuid::nil(),
                        user_id: row.get(1)?,
                        created_at: from_millis(row.get(2)?)?,
                        last_used_at: from_millis(row.get(3)?)?,
                        expires_at: from_millis(row.get(4)?)?,
                    },
                    row.get::<_, Vec<u8>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, row, hash)| {
                let id = uuid::Uuid::parse_str(&id)
                    .map_err(|_| Error::storage("a stored session id is not a UUID"))?;
                let hash: [u8; 32] = hash
                    .try_into()
                    .map_err(|_| Error::storage("a stored session token hash is not 32 bytes"))?;
                Ok((SessionRow { id, ..row }, hash))
            })
            .collect()
    }

    fn message_rows_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(Message, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}, client_key
             FROM messages WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, up_to, limit], |row| {
            Ok((message_from_row_at(row, 0)?, row.get(8)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn member_rows_page(
        &mut self,
        after: MemberKey,
        up_to_thread: i64,
        limit: u32,
    ) -> Result<Vec<MemberRow>> {
        // `members_thread` finds the thread; the row value comparison keeps
        // the keyset exact within it.
        let mut stmt = self.conn.prepare_cached(
            "SELECT user_id, thread_id, last_activity_at, unread, last_read_id, cleared_through_id
             FROM members WHERE (thread_id, user_id) > (?1, ?2) AND thread_id <= ?3
             ORDER BY thread_id, user_id LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![after.0, after.1, up_to_thread, limit], |row| {
            Ok(MemberRow {
                user_id: row.get(0)?,
                thread_id: row.get(1)?,
                last_activity_at: from_millis(row.get(2)?)?,
                unread: row.get(3)?,
                last_read_id: row.get(4)?,
                cleared_through: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn set_member_row(&mut self, row: &MemberRow) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE members SET last_activity_at = ?3, unread = ?4, last_read_id = ?5,
                                    cleared_through_id = ?6
                 WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![
                row.user_id,
                row.thread_id,
                to_millis(row.last_activity_at),
                row.unread,
                row.last_read_id,
                row.cleared_through
            ])?;
        Ok(changed > 0)
    }

    fn continue_change_ids_after(&mut self, highest: i64) -> Result<()> {
        // AUTOINCREMENT's counter lives in sqlite_sequence (no unique
        // name): raise the row, or make it.
        let raised = self.conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'changes'",
            [highest],
        )?;
        if raised == 0 {
            self.conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('changes', ?1)",
                [highest],
            )?;
        }
        Ok(())
    }
}
