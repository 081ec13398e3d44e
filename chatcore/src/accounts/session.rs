//! What a logged-in [`Session`] does itself: its accessors, the read and
//! write transactions that check it first (with `last_used_at` refreshed
//! when stale), logging out, its user's sessions and user lookups.

use super::{Caller, Session, SessionInfo, last_used_is_stale, require_session, require_unexpired};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::models::User;
use crate::names::{email_key, username_key};
use crate::page;
use crate::storage::{AccountStorage, SessionRow, Tx};
use crate::store::Store;
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl Session {
    /// The secret token that [`Store::resume`] accepts. Treat it as a
    /// password: only its SHA-256 is stored.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The session's public id (not a credential).
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The logged-in user's id.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The SHA-256 of the token, the key the store knows the session by.
    pub(crate) fn token_hash(&self) -> &[u8; 32] {
        &self.token_hash
    }

    /// The store this session belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `work` in a read transaction after checking the session.
    pub(crate) fn read<T>(
        &self,
        mut work: impl FnMut(&mut dyn Tx, Caller) -> Result<T>,
    ) -> Result<T> {
        let now = self.store.now();
        self.store.read(|tx| {
            let caller = self.caller_of(tx.session(&self.token_hash)?, now)?;
            work(tx, caller)
        })
    }

    /// The caller of a read whose session row `row` was fetched with its
    /// data (a fused read), after the session rule.
    pub(crate) fn caller_of(&self, row: Option<SessionRow>, now: DateTime<Utc>) -> Result<Caller> {
        let row = require_session(row, now)?;
        Ok(Caller {
            user_id: row.user_id,
            now,
        })
    }

    /// The caller of a write whose session row `row` was fetched with its
    /// data (a fused read) in transaction `tx`: the session rule, and its
    /// `last_used_at` refreshed when stale, as [`Session::write`] does.
    pub(crate) fn writer_of(
        &self,
        tx: &mut (impl AccountStorage + ?Sized),
        row: Option<SessionRow>,
        now: DateTime<Utc>,
    ) -> Result<Caller> {
        let row = self.writer_row_of(tx, row, now)?;
        Ok(Caller {
            user_id: row.user_id,
            now,
        })
    }

    /// [`Session::writer_of`], returning the session row as it is stored
    /// after the refresh.
    pub(crate) fn writer_row_of(
        &self,
        tx: &mut (impl AccountStorage + ?Sized),
        row: Option<SessionRow>,
        now: DateTime<Utc>,
    ) -> Result<SessionRow> {
        let mut row = require_session(row, now)?;
        if last_used_is_stale(row.last_used_at, now) {
            tx.touch_session(&self.token_hash, now)?;
            row.last_used_at = now;
        }
        Ok(row)
    }

    /// Runs `work` in an IMMEDIATE transaction after checking the session,
    /// refreshing its `last_used_at` when stale.
    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut dyn Tx, Caller) -> Result<T>,
    ) -> Result<T> {
        let now = self.store.now();
        self.store.write(|tx| {
            let row = tx.session(&self.token_hash)?;
            let caller = self.writer_of(tx, row, now)?;
            work(tx, caller)
        })
    }

    /// Ends this session, here and in every process using the file.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] if it had already ended.
    pub fn logout(&self) -> Result<()> {
        self.store
            .write(|tx| match tx.delete_session_by_hash(&self.token_hash)? {
                false => Err(Error::SessionInvalid),
                true => Ok(()),
            })
    }

    /// The logged-in user.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`], [`Error::SessionExpired`].
    pub fn me(&self) -> Result<User> {
        self.read(|tx, caller| {
            tx.user(caller.user_id)?
                .ok_or_else(|| Error::UserNotFound(caller.user_id.to_string()))
        })
    }

    /// The user's live sessions, newest first.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`], [`Error::SessionExpired`].
    pub fn sessions(&self) -> Result<Vec<SessionInfo>> {
        self.read(|tx, caller| {
            let mut live: Vec<SessionInfo> = tx
                .sessions_of(caller.user_id)?
                .into_iter()
                .filter(|row| require_unexpired(row.expires_at, caller.now).is_ok())
                .map(|row| SessionInfo {
                    id: row.id,
                    created_at: row.created_at,
                    last_used_at: row.last_used_at,
                    expires_at: row.expires_at,
                    current: row.id == self.id,
                })
                .collect();
            // Newest first; ties by id.
            live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
            Ok(live)
        })
    }

    /// Ends one of the user's own sessions (possibly this one).
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] if this session is not valid, or if the user
    /// has no session with that id (another user's session counts as none).
    pub fn revoke_session(&self, id: Uuid) -> Result<()> {
        self.write(|tx, caller| match tx.delete_session(id, caller.user_id)? {
            false => Err(Error::SessionInvalid),
            true => Ok(()),
        })
    }

    /// A user by id.
    ///
    /// # Errors
    /// [`Error::UserNotFound`], or a session error.
    pub fn user(&self, id: UserId) -> Result<User> {
        self.read(|tx, _| {
            tx.user(id)?
                .ok_or_else(|| Error::UserNotFound(id.to_string()))
        })
    }

    /// Users whose username or email starts with `prefix` (case-insensitive),
    /// by username, at most `limit` (default 50, at most 500).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a limit of 0 or above 500, or a session error.
    pub fn search_users(&self, prefix: &str, limit: Option<u32>) -> Result<Vec<User>> {
        let limit = page::limit(limit)?;
        // The skeleton maps character by character, so the key of a prefix
        // is a prefix of the key.
        let usernames = username_key(prefix);
        let emails = email_key(prefix);
        self.read(|tx, _| tx.users_by_key_prefix(&usernames, &emails, limit))
    }
}
