//! [`FeedStorage`] on SQLite: the `changes` table.
//!
//! Ids come from AUTOINCREMENT. SQLite has one writer at a time, and a
//! transaction's ids are assigned while it holds the write lock, so every
//! entry committed later has a higher id than every entry committed before
//! (a rolled-back transaction's ids are given again, never seen): the id
//! order is the commit order, as [`FeedStorage::append_change`] requires.

use super::rows::{MESSAGE_COLUMNS, message_from_row_at};
use super::{SqliteTx, from_millis, to_millis};
use crate::error::Result;
use crate::ids::UserId;
use crate::storage::{ChangeRow, FeedStorage, NewChange};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// The message columns of the joined `messages` row, prefixed.
fn joined_message_columns() -> String {
    MESSAGE_COLUMNS
        .split(", ")
        .map(|column| format!("m.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FeedStorage for SqliteTx<'_> {
    fn append_change(&mut self, new: &NewChange) -> Result<(i64, i64)> {
        let row = self
            .conn
            .prepare_cached(
                "INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
                 VALUES (?1, coalesce((SELECT seq FROM changes WHERE user_id = ?1
                                       ORDER BY id DESC LIMIT 1), 0) + 1,
                         ?2, ?3, ?4, ?5, ?6)
                 RETURNING id, seq",
            )?
            .query_row(
                params![
                    new.user,
                    new.kind,
                    to_millis(new.at),
                    new.thread_id,
                    new.message_id,
                    new.other_id
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
        Ok(row)
    }

    fn append_change_for_every_user(&mut self, kind: i64, at: DateTime<Utc>) -> Result<u64> {
        let added = self.conn.execute(
            "INSERT INTO changes (user_id, seq, kind, at)
             SELECT u.id, coalesce((SELECT seq FROM changes c WHERE c.user_id = u.id
                                    ORDER BY c.id DESC LIMIT 1), 0) + 1, ?1, ?2
             FROM users u ORDER BY u.id",
            params![kind, to_millis(at)],
        )?;
        Ok(added as u64)
    }

    fn oldest_change(&mut self, user: UserId) -> Result<Option<(i64, i64, DateTime<Utc>)>> {
        Ok(self.oldest_changes(user, 1)?.into_iter().next())
    }

    fn oldest_changes(
        &mut self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, seq, at FROM changes WHERE user_id = ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![user, limit], |row| {
            Ok((row.get(0)?, row.get(1)?, from_millis(row.get(2)?)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn newest_change_id(&mut self, user: UserId) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(max(id), 0) FROM changes WHERE user_id = ?1")?
            .query_row([user], |row| row.get(0))?)
    }

    fn highest_change_id(&mut self) -> Result<i64> {
        // AUTOINCREMENT's counter: the highest id ever given, pruned or not.
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'changes'")?
            .query_row([], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn changes_pruned_through(&mut self, user: UserId) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT changes_pruned_through FROM users WHERE id = ?1")?
            .query_row([user], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn prune_changes(&mut self, user: UserId, through: i64) -> Result<u64> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM changes WHERE user_id = ?1 AND id <= ?2")?
            .execute(params![user, through])?;
        self.conn
            .prepare_cached(
                "UPDATE users SET changes_pruned_through = max(changes_pruned_through, ?2)
                 WHERE id = ?1",
            )?
            .execute(params![user, through])?;
        Ok(deleted as u64)
    }

    fn changes_after(&mut self, user: UserId, after: i64, limit: u32) -> Result<Vec<ChangeRow>> {
        let sql = format!(
            "SELECT c.id, c.kind, c.at, c.thread_id, c.message_id, c.other_id, {}
             FROM changes c LEFT JOIN messages m ON m.id = c.message_id
             WHERE c.user_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
            joined_message_columns()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![user, after, limit], |row| {
            let joined: Option<i64> = row.get(6)?;
            Ok(ChangeRow {
                id: row.get(0)?,
                kind: row.get(1)?,
                at: from_millis(row.get(2)?)?,
                thread_id: row.get(3)?,
                message_id: row.get(4)?,
                other_id: row.get(5)?,
                message: match joined {
                    Some(_) => Some(message_from_row_at(row, 6)?),
                    None => None,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
