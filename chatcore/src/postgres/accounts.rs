//! [`AccountStorage`] on PostgreSQL: `users` and `sessions`.

use super::rows::{USER_COLUMNS, all, user_at};
use super::{PgTx, from_millis, to_millis};
use crate::error::Result;
use crate::ids::UserId;
use crate::models::User;
use crate::storage::{AccountStorage, NewUserRow, SessionRow};
use chrono::{DateTime, Utc};
use postgres::Row;
use uuid::Uuid;

pub(super) const SESSION_COLUMNS: &str = "id, user_id, created_at, last_used_at, expires_at";

pub(super) fn session_from_row(row: &Row) -> Result<SessionRow> {
    session_from_row_at(row, 0)
}

/// Maps the [`SESSION_COLUMNS`] starting at column `at`.
pub(super) fn session_from_row_at(row: &Row, at: usize) -> Result<SessionRow> {
    Ok(SessionRow {
        id: row.try_get(at)?,
        user_id: UserId(row.try_get(at + 1)?),
        created_at: from_millis(row.try_get(at + 2)?)?,
        last_used_at: from_millis(row.try_get(at + 3)?)?,
        expires_at: from_millis(row.try_get(at + 4)?)?,
    })
}

impl PgTx<'_> {
    fn one_user(
        &mut self,
        filter: &str,
        key: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter} = $1");
        self.query_opt(&sql, &[key])?
            .map(|row| user_at(&row, 0))
            .transpose()
    }

    fn one_id(&mut self, filter: &str, key: &str) -> Result<Option<UserId>> {
        let sql = format!("SELECT id FROM users WHERE {filter} = $1");
        Ok(match self.query_opt(&sql, &[&key])? {
            Some(row) => Some(UserId(row.try_get(0)?)),
            None => None,
        })
    }
}

/// `params` with `id` after them.
fn with_id<'a>(
    params: &[&'a (dyn postgres::types::ToSql + Sync)],
    id: &'a i64,
) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    let mut all = params.to_vec();
    all.push(id);
    all
}

impl AccountStorage for PgTx<'_> {
    fn user(&mut self, id: UserId) -> Result<Option<User>> {
        self.one_user("id", &id.0)
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
        let row = self.query_opt(
            "SELECT id, password_hash FROM users WHERE email_key = $1",
            &[&key],
        )?;
        Ok(match row {
            Some(row) => Some((UserId(row.try_get(0)?), row.try_get(1)?)),
            None => None,
        })
    }

    fn insert_user(&mut self, user: &NewUserRow<'_>) -> Result<UserId> {
        let params: [&(dyn postgres::types::ToSql + Sync); 8] = [
            &user.email,
            &user.email_key,
            &user.username,
            &user.username_key,
            &user.first_name,
            &user.last_name,
            &user.password_hash,
            &to_millis(user.created_at),
        ];
        let id = match user.id {
            Some(id) => self.insert_returning_id(
                "INSERT INTO users (email, email_key, username, username_key, first_name, last_name, password_hash, created_at, id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
                &with_id(&params, &id.0),
                "the user's id, email or username",
                false,
            )?,
            None => self.insert_returning_id(
                "INSERT INTO users (email, email_key, username, username_key, first_name, last_name, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
                &params,
                "the user's email or username",
                true,
            )?,
        };
        Ok(UserId(id))
    }

    fn replace_password_hash(&mut self, user: UserId, old: &str, new: &str) -> Result<()> {
        self.execute(
            "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
            &[&user.0, &old, &new],
        )?;
        Ok(())
    }

    fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<()> {
        self.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user.0, &hash],
        )?;
        Ok(())
    }

    fn users_by_key_prefix(
        &mut self,
        username_prefix: &str,
        email_prefix: &str,
        limit: u32,
    ) -> Result<Vec<User>> {
        // The keys use the "C" collation: every key that starts with `low`
        // sorts below `low` + the greatest code point, two index range scans.
        let high = |low: &str| format!("{low}\u{10FFFF}");
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (
                 SELECT id FROM users WHERE username_key >= $1 AND username_key < $2
                 UNION
                 SELECT id FROM users WHERE email_key >= $3 AND email_key < $4)
             ORDER BY username_key LIMIT $5"
        );
        let rows = self.query(
            &sql,
            &[
                &username_prefix,
                &high(username_prefix),
                &email_prefix,
                &high(email_prefix),
                &i64::from(limit),
            ],
        )?;
        all(&rows, |row| user_at(row, 0))
    }

    fn session(&mut self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
        self.query_opt(&sql, &[&&token_hash[..]])?
            .map(|row| session_from_row(&row))
            .transpose()
    }

    fn sessions_of(&mut self, user: UserId) -> Result<Vec<SessionRow>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1");
        let rows = self.query(&sql, &[&user.0])?;
        all(&rows, session_from_row)
    }

    fn insert_session(&mut self, row: &SessionRow, token_hash: &[u8; 32]) -> Result<()> {
        self.execute(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.id,
                &row.user_id.0,
                &&token_hash[..],
                &to_millis(row.created_at),
                &to_millis(row.last_used_at),
                &to_millis(row.expires_at),
            ],
        )?;
        Ok(())
    }

    fn touch_session(&mut self, token_hash: &[u8; 32], now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE sessions SET last_used_at = $2 WHERE token_hash = $1",
            &[&&token_hash[..], &to_millis(now)],
        )?;
        Ok(())
    }

    fn delete_session_by_hash(&mut self, token_hash: &[u8; 32]) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[&&token_hash[..]],
        )? > 0)
    }

    fn delete_session(&mut self, id: Uuid, user: UserId) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM sessions WHERE id = $1 AND user_id = $2",
            &[&id, &user.0],
        )? > 0)
    }

    fn delete_sessions_of(&mut self, user: UserId) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE user_id = $1", &[&user.0])?;
        Ok(())
    }
}
