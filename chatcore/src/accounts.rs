//! Users, passwords and login sessions.
//!
//! What a valid email, username and password are is decided in `names`;
//! the session rules (expiry, when `last_used_at` is refreshed, only one's
//! own sessions) and the account rules (keys free, a login's cost) are here.
//! Records are read and written through [`AccountStorage`].

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::names::{email_key, validate_new_user};
use crate::storage::{AccountStorage, NewUserRow, SessionRow};
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

mod session;

pub use crate::models::User;
pub use crate::names::{
    MAX_EMAIL_BYTES, MAX_NAME_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, validate_password,
};

/// What [`Store::register`] needs. Names default to empty.
///
/// ```
/// use chatcore::NewUser;
/// let new = NewUser { email: "bo@example.com", username: "bo", password: "s3cret-enough", first_name: "Bo", ..Default::default() };
/// assert_eq!(new.last_name, "");
/// ```
#[derive(Clone, Copy, Default)]
pub struct NewUser<'a> {
    /// Email address; unique case-insensitively, stored trimmed.
    pub email: &'a str,
    /// Username: 1–150 letters, digits and `@.+-_`; unique case-insensitively.
    pub username: &'a str,
    /// Password: at least 8 characters and at most 1024 bytes.
    pub password: &'a str,
    /// Optional first name, at most 150 characters.
    pub first_name: &'a str,
    /// Optional last name, at most 150 characters.
    pub last_name: &'a str,
}

impl fmt::Debug for NewUser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

/// One of a user's login sessions, as listed by [`Session::sessions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The public id, for [`Session::revoke_session`]; not a credential.
    pub id: Uuid,
    /// When the session was created by a login.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
    /// When the session was last resumed or used for a write (refreshed at
    /// most once a minute).
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub last_used_at: DateTime<Utc>,
    /// When the session stops working.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session the list was asked through.
    pub current: bool,
}

/// A logged-in user. Every user action runs through a session, and every call
/// first checks that the session is still valid: not expired, not logged out
/// or revoked (also by another process on the same file).
///
/// Cheap to clone, `Send + Sync`. `Debug` never shows the token.
#[derive(Clone)]
pub struct Session {
    pub(crate) store: Store,
    token: Arc<str>,
    token_hash: [u8; 32],
    id: Uuid,
    user_id: UserId,
    /// What its last send was decided from (`messages::remembered`),
    /// shared by its clones.
    pub(crate) remembered: Memory,
}

/// A session's rows as stored after its last send, which its next send in
/// the same thread may decide from (`messages::remembered`).
#[derive(Debug, Clone)]
pub(crate) struct Remembered {
    /// The session's row.
    pub session: SessionRow,
    /// The thread, with the send's activity.
    pub thread: crate::models::Thread,
}

/// Where a [`Session`] and its clones keep their [`Remembered`] rows.
pub(crate) type Memory = Arc<std::sync::Mutex<Option<Remembered>>>;

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// The caller of a session operation, as checked at the start of its
/// transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub user_id: UserId,
    pub now: DateTime<Utc>,
}

/// How stale `last_used_at` may get before it is refreshed (one minute).
const LAST_USED_REFRESH_MS: i64 = 60_000;

/// The one rule of when `last_used_at` is refreshed: when it is more than
/// [`LAST_USED_REFRESH_MS`] old.
pub(crate) fn last_used_is_stale(last_used_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (now - last_used_at).num_milliseconds() > LAST_USED_REFRESH_MS
}

// ---------------------------------------------------------------------------
// Rules

/// The expiry rule, the one place it is decided: a session is valid while
/// `now < expires_at`.
pub(crate) fn require_unexpired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    match now < expires_at {
        true => Ok(()),
        false => Err(Error::SessionExpired),
    }
}

/// The one check that a new user's email and username keys are free: the
/// account already holding one, with the error a registration gets
/// ([`Error::EmailTaken`] or [`Error::UsernameTaken`]).
pub(crate) fn key_holder(
    tx: &mut (impl AccountStorage + ?Sized),
    email_key: &str,
    username_key: &str,
) -> Result<Option<(Error, UserId)>> {
    if let Some(holder) = tx.user_id_by_email_key(email_key)? {
        return Ok(Some((Error::EmailTaken, holder)));
    }
    if let Some(holder) = tx.user_id_by_username_key(username_key)? {
        return Ok(Some((Error::UsernameTaken, holder)));
    }
    Ok(None)
}

/// [`key_holder`] as a refusal.
pub(crate) fn require_keys_free(
    tx: &mut (impl AccountStorage + ?Sized),
    email_key: &str,
    username_key: &str,
) -> Result<()> {
    match key_holder(tx, email_key, username_key)? {
        Some((taken, _)) => Err(taken),
        None => Ok(()),
    }
}

/// The one check of a session's validity: it exists and has not expired.
pub(crate) fn check_session(
    tx: &mut (impl AccountStorage + ?Sized),
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<SessionRow> {
    require_session(tx.session(token_hash)?, now)
}

/// The session rule on a row already read (by `check_session`, or by a
/// fused read with the operation's data): there is one, and it has not
/// expired.
pub(crate) fn require_session(row: Option<SessionRow>, now: DateTime<Utc>) -> Result<SessionRow> {
    let row = row.ok_or(Error::SessionInvalid)?;
    require_unexpired(row.expires_at, now)?;
    Ok(row)
}

/// A fresh 256-bit session token from the OS CSPRNG, as 64 hex digits.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Internal(format!("the OS random generator failed: {err}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

// ---------------------------------------------------------------------------
// Operations

impl Store {
    /// Creates a user. The password is hashed with argon2id before the write
    /// lock is taken.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`], [`Error::InvalidUsername`],
    /// [`Error::WeakPassword`], [`Error::InvalidArgument`] (a name too long),
    /// [`Error::EmailTaken`], [`Error::UsernameTaken`] (both case-insensitive).
    pub fn register(&self, new: &NewUser<'_>) -> Result<User> {
        let valid = validate_new_user(
            new.email,
            new.username,
            Some(new.password),
            new.first_name,
            new.last_name,
        )?;
        let password_hash = self.hashing().hash(new.password)?;
        let created_at = self.now();
        self.write(|tx| {
            require_keys_free(tx, &valid.email_key, &valid.username_key)?;
            let id = tx.insert_user(&NewUserRow {
                id: None,
                email: &valid.email,
                email_key: &valid.email_key,
                username: &valid.username,
                username_key: &valid.username_key,
                first_name: &valid.first_name,
                last_name: &valid.last_name,
                password_hash: Some(&password_hash),
                created_at,
            })?;
            Ok(User {
                id,
                email: valid.email.clone(),
                username: valid.username.clone(),
                first_name: valid.first_name.clone(),
                last_name: valid.last_name.clone(),
                created_at,
            })
        })
    }

    /// Logs in and returns a new session valid for the configured TTL.
    ///
    /// An unknown email costs the same password check as a wrong password
    /// (one argon2id run at the configured cost, in a fresh store too), and
    /// both give the same error. A right password whose stored hash is
    /// weaker than the configured cost is rehashed (only upward). A stored
    /// hash over the caps (see [`PasswordCost`](crate::PasswordCost)) is
    /// never run: the login fails with the same error, at the same cost,
    /// until [`Store::set_password`]. Password checks on one store run one
    /// at a time, sharing one work buffer.
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`].
    pub fn login(&self, email: &str, password: &str) -> Result<Session> {
        let key = email_key(email);
        let account = self.read(|tx| tx.credentials_by_email_key(&key))?;
        let (user_id, stored_hash) = match account {
            Some((user_id, Some(stored_hash))) => (user_id, stored_hash),
            _ => {
                self.hashing().dummy_verify(password);
                return Err(Error::InvalidCredentials);
            }
        };
        let verified = self.hashing().verify(&stored_hash, password);
        if !verified.matches {
            return Err(Error::InvalidCredentials);
        }
        let rehashed = match verified.needs_rehash {
            true => Some(self.hashing().hash(password)?),
            false => None,
        };
        let token = new_token()?;
        let hash = token_hash(&token);
        let id = Uuid::new_v4();
        let now = self.now();
        let row = SessionRow {
            id,
            user_id,
            created_at: now,
            last_used_at: now,
            expires_at: now + self.config().session_ttl,
        };
        self.write(|tx| {
            if let Some(new_hash) = &rehashed {
                // Only if still the hash verified: a password changed
                // meanwhile is not overwritten by an upgrade of the old one.
                tx.replace_password_hash(user_id, &stored_hash, new_hash)?;
            }
            // A login clears the user's expired sessions.
            for old in tx.sessions_of(user_id)? {
                if require_unexpired(old.expires_at, now).is_err() {
                    tx.delete_session(old.id, user_id)?;
                }
            }
            tx.insert_session(&row, &hash)
        })?;
        Ok(Session {
            store: self.clone(),
            token: token.into(),
            token_hash: hash,
            id,
            user_id,
            remembered: Memory::default(),
        })
    }

    /// Sets a user's password, as the host application's administrator:
    /// for accounts imported without a usable password, or a reset. Ends
    /// all of the user's sessions.
    ///
    /// # Errors
    /// [`Error::WeakPassword`], [`Error::UserNotFound`].
    pub fn set_password(&self, user_id: UserId, password: &str) -> Result<()> {
        validate_password(password)?;
        let hash = self.hashing().hash(password)?;
        let now = self.now();
        self.write(|tx| {
            if tx.user(user_id)?.is_none() {
                return Err(Error::UserNotFound(format!("no user has id {user_id}")));
            }
            tx.set_password_hash(user_id, &hash)?;
            tx.delete_sessions_of(user_id)?;
            crate::feed::on_password_set(tx, user_id, now, self.config())
        })
    }

    /// Picks up a session from its token (as saved by a host app between runs).
    ///
    /// Only reads, so it works on a read-only file and while another
    /// connection holds the write lock. The session's `last_used_at` is
    /// refreshed when it is more than a minute old, and only if the write
    /// lock is free at once (the next call tries again otherwise).
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] for an unknown, logged-out or revoked token;
    /// [`Error::SessionExpired`] once the session has expired.
    pub fn resume(&self, token: &str) -> Result<Session> {
        let hash = token_hash(token);
        let now = self.now();
        let row = self.read(|tx| check_session(tx, &hash, now))?;
        if last_used_is_stale(row.last_used_at, now) {
            // Bookkeeping only: a busy lock, a read-only folder or a full
            // disk must not fail a read.
            let _ = self.write_if_free(|tx| tx.touch_session(&hash, now));
        }
        Ok(Session {
            store: self.clone(),
            token: token.into(),
            token_hash: hash,
            id: row.id,
            user_id: row.user_id,
            remembered: Memory::default(),
        })
    }
}
