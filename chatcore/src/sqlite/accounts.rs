//! [`AccountStorage`] on SQLite: `users` and `sessions`.

use super::rows::{USER_COLUMNS, user_from_row_at};
use super::{SqliteTx, from_millis, to_millis};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::models::User;
use crate::storage::{AccountStorage, NewUserRow, SessionRow};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, ToSql, params};
use uuid::Uuid;

const SESSION_COLUMNS: &str = "id, user_id, created_at, last_used_at, expires_at";

impl SqliteTx<'_> {
    fn one_user(&self, filter: &str, key: &dyn ToSql) -> Result<Option<User>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {filter} = ?1"
            ))?
            .query_row([key], |row| user_from_row_at(row, 0))
            .optional()?)
    }

    fn one_id(&self, filter: &str, key: &str) -> Result<Option<UserId>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT id FROM users WHERE {filter} = ?1"))?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }
}

/// Maps a row of [`SESSION_COLUMNS`]; the id is stored as its text.
fn session_from_row(row: &Row<'_>) -> rusqlite::Result<(String, SessionRow)> {
    let id: String = row.get(0)?;
    Ok((
        id,
        SessionRow {
            id: Uuid::nil(),
            user_id: row.get(1)?,
            created_at: from_millis(row.get(2)?)?,
            last_used_at: from_millis(row.get(3)?)?,
            expires_at: from_millis(row.get(4)?)?,
        },
    ))
}

fn with_uuid((text, row): (String, SessionRow)) -> Result<SessionRow> {
    let id =
        Uuid::parse_str(&text).map_err(|_| Error::storage("a stored session id is not a UUID"))?;
    Ok(SessionRow { id, ..row })
}

impl AccountStorage for SqliteTx<'_> {
    fn user(&mut self, id: UserId) -> Result<Option<User>> {
        self.one_user("id", &id)
    }

    fn user_by_email_key(&mut self, key: &str) -> Result<Option<User>> {
        self.one_user("email_key", &key)
    }

    fn user_by_username_key(&mut self, key: &str) -> Result<Option<User>> {
        self.one_user("username_key", &key)
    }

    fn user_id_by_email_key(&mut self, key: &str) -> Result<Option<UserId>> {
        self.one_id("email_key", key)
    }

    fn user_id_by_username_key(&mut self, key: &str) -> Result<Option<UserId>> {
        self.one_id("username_key", key)
    }

    fn credentials_by_email_key(&mut self, key: &str) -> Result<Option<(UserId, Option<String>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, password_hash FROM users WHERE email_key = ?1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }

    fn insert_user(&mut self, user: &NewUserRow<'_>) -> Result<UserId> {
        self.conn
            .prepare_cached(
                "INSERT INTO users (id, email, email_key, username, username_key, first_name, last_name, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                user.id,
                user.email,
                user.email_key,
                user.username,
                user.username_key,
                user.first_name,
                user.last_name,
                user.password_hash,
                to_millis(user.created_at),
            ])?;
        Ok(user.id.unwrap_or(UserId(self.conn.last_insert_rowid())))
    }

    fn replace_password_hash(&mut self, user: UserId, old: &str, new: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
            )?
            .execute(params![user, old, new])?;
        Ok(())
    }

    fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![user, hash])?;
        Ok(())
    }

    fn users_by_key_prefix(
        &mut self,
        username_prefix: &str,
        email_prefix: &str,
        limit: u32,
    ) -> Result<Vec<User>> {
        // Every key that starts with `low` sorts below `low` + the greatest
        // code point (byte-wise BINARY collation): two index range scans.
        let high = |low: &str| format!("{low}\u{10FFFF}");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (
                 SELECT id FROM users WHERE username_key >= ?1 AND username_key < ?2
                 UNION
                 SELECT id FROM users WHERE email_key >= ?3 AND email_key < ?4)
             ORDER BY username_key LIMIT ?5"
        ))?;
        let users = stmt
            .query_map(
                params![
                    username_prefix,
                    high(username_prefix),
                    email_prefix,
                    high(email_prefix),
                    limit
                ],
                |row| user_from_row_at(row, 0),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(users)
    }

    fn session(&mut self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1"
            ))?
            .query_row([&token_hash[..]], session_from_row)
            .optional()?
            .map(with_uuid)
            .transpose()
    }

    fn sessions_of(&mut self, user: UserId) -> Result<Vec<SessionRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1"
        ))?;
        let rows = stmt
            .query_map([user], session_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(with_uuid).collect()
    }

    fn insert_session(&mut self, row: &SessionRow, token_hash: &[u8; 32]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                row.id.to_string(),
                row.user_id,
                &token_hash[..],
                to_millis(row.created_at),
                to_millis(row.last_used_at),
                to_millis(row.expires_at)
            ])?;
        Ok(())
    }

    fn touch_session(&mut self, token_hash: &[u8; 32], now: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1")?
            .execute(params![&token_hash[..], to_millis(now)])?;
        Ok(())
    }

    fn delete_session_by_hash(&mut self, token_hash: &[u8; 32]) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
            .execute([&token_hash[..]])?
            > 0)
    }

    fn delete_session(&mut self, id: Uuid, user: UserId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2")?
            .execute(params![id.to_string(), user])?
            > 0)
    }

    fn delete_sessions_of(&mut self, user: UserId) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
            .execute([user])?;
        Ok(())
    }
}
