//! Users, passwords and login sessions.
//!
//! The rules for what a valid email, username and password are live here, in
//! the `validate_*` functions; the SQL that stores them is at the bottom.

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::page;
use crate::sqlite::SqliteTx;
use crate::store::{Store, from_millis, to_millis};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// Longest username, first name and last name, in characters (as Django's).
pub const MAX_NAME_CHARS: usize = 150;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

pub use crate::models::User;

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
}

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
fn last_used_is_stale(last_used_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    to_millis(now) - to_millis(last_used_at) > LAST_USED_REFRESH_MS
}

// ---------------------------------------------------------------------------
// Rules

/// Trims and checks an email address; returns it and its case-folded key.
pub(crate) fn validate_email(raw: &str) -> Result<(String, String)> {
    let email = raw.trim();
    let invalid = |why: &str| Err(Error::InvalidEmail(why.to_string()));
    if email.is_empty() {
        return invalid("the email is empty");
    }
    if email.len() > MAX_EMAIL_BYTES {
        return invalid("the email is longer than 254 bytes");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return invalid("an email needs an @ between name and domain");
    };
    if local.is_empty() || local.len() > 64 {
        return invalid("the part before @ must have 1 to 64 bytes");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || (c.is_ascii_graphic() && !"\"(),:;<>@[\\]".contains(c)));
    if !local_ok || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return invalid("the part before @ has characters an address cannot have");
    }
    if !valid_domain(domain) {
        return invalid("the domain after @ is not a valid host name (like example.com)");
    }
    Ok((email.to_string(), email_key(email)))
}

fn valid_domain(domain: &str) -> bool {
    if domain.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    // As Django's validator: a top-level domain of letters, or a punycode one.
    let tld_ok = labels.last().is_some_and(|tld| {
        (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
            || tld.starts_with("xn--")
    });
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

/// Checks a username (Django's rule: 1–150 letters, digits and `@.+-_`,
/// after NFKC normalisation as Django applies it); returns the normalised
/// username and its uniqueness key ([`username_key`]).
pub(crate) fn validate_username(raw: &str) -> Result<(String, String)> {
    let username: String = raw.nfkc().collect();
    let count = username.chars().count();
    if count == 0 || count > MAX_NAME_CHARS {
        return Err(Error::InvalidUsername(format!(
            "a username has 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(bad) = username
        .chars()
        .find(|c| !(c.is_alphanumeric() || "@.+-_".contains(*c)))
    {
        return Err(Error::InvalidUsername(format!(
            "{bad:?} is not allowed; use letters, digits and @ . + - _"
        )));
    }
    let key = username_key(&username);
    Ok((username, key))
}

/// The key usernames are unique by: NFKC, case-folded, and reduced to its
/// Unicode confusable skeleton (UTS #39), so that names that look alike
/// (`ann`, `ANN`, Cyrillic `аnn`, full-width `ａｎｎ`, `rn`/`m`, `l`/`1`/`I`)
/// are one name and cannot impersonate each other. It refuses confusable
/// registrations and narrows searches; it never decides which account a
/// lookup names (see `lookup`).
pub(crate) fn username_key(username: &str) -> String {
    let folded = username.trim().nfkc().collect::<String>().to_lowercase();
    unicode_security::skeleton(&folded)
        .collect::<String>()
        .to_lowercase()
}

/// Checks a new password against the rules every new password meets (at
/// least [`MIN_PASSWORD_CHARS`] characters, at most [`MAX_PASSWORD_BYTES`]
/// bytes), as [`Store::register`] and [`Store::set_password`] do. For a
/// client that wants to refuse a password before asking for it again.
///
/// # Errors
/// [`Error::WeakPassword`] naming the rule it breaks.
///
/// ```
/// assert!(chatcore::validate_password("short").is_err());
/// assert!(chatcore::validate_password("long enough").is_ok());
/// ```
pub fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::WeakPassword(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::WeakPassword(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Checks an optional first or last name; returns it trimmed.
pub(crate) fn validate_name(field: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::InvalidArgument(format!(
            "{field} may have at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(format!(
            "{field} may not contain control characters"
        )));
    }
    Ok(name.to_string())
}

/// The key a login email is looked up by. No validation: an address that
/// could never be registered simply is not found.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The expiry rule, the one place it is decided: a session is valid while
/// `now < expires_at`.
pub(crate) fn require_unexpired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    match now < expires_at {
        true => Ok(()),
        false => Err(Error::SessionExpired),
    }
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
        let (email, email_key) = validate_email(new.email)?;
        let (username, username_key) = validate_username(new.username)?;
        validate_password(new.password)?;
        let first_name = validate_name("first name", new.first_name)?;
        let last_name = validate_name("last name", new.last_name)?;
        let password_hash = self.hashing().hash(new.password)?;
        let created_at = self.now();
        self.write(|tx| {
            if sql::user_id_by_email_key(tx, &email_key)?.is_some() {
                return Err(Error::EmailTaken);
            }
            if sql::user_id_by_username_key(tx, &username_key)?.is_some() {
                return Err(Error::UsernameTaken);
            }
            let id = sql::insert_user(
                tx,
                &sql::NewUserRow {
                    email: &email,
                    email_key: &email_key,
                    username: &username,
                    username_key: &username_key,
                    first_name: &first_name,
                    last_name: &last_name,
                    password_hash: Some(&password_hash),
                    created_at,
                },
            )?;
            Ok(User {
                id,
                email,
                username,
                first_name,
                last_name,
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
        let account = self.read(|tx| sql::credentials_by_email_key(tx, &key))?;
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
        let expires_at = now + self.config().session_ttl;
        self.write(|tx| {
            if let Some(new_hash) = &rehashed {
                sql::replace_password_hash(tx, user_id, &stored_hash, new_hash)?;
            }
            sql::delete_expired_sessions(tx, user_id, now)?;
            sql::insert_session(tx, id, user_id, &hash, now, expires_at)
        })?;
        Ok(Session {
            store: self.clone(),
            token: token.into(),
            token_hash: hash,
            id,
            user_id,
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
        self.write(|tx| {
            if sql::user_by_id(tx, user_id)?.is_none() {
                return Err(Error::UserNotFound(format!("no user has id {user_id}")));
            }
            sql::set_password_hash(tx, user_id, &hash)?;
            sql::delete_sessions_of(tx, user_id)
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
        let row = self.read(|tx| sql::check_session(tx, &hash, now))?;
        if last_used_is_stale(row.last_used_at, now) {
            // Bookkeeping only: a busy lock, a read-only folder or a full
            // disk must not fail a read.
            let _ = self.write_if_free(|tx| sql::touch_session(tx, &hash, now));
        }
        Ok(Session {
            store: self.clone(),
            token: token.into(),
            token_hash: hash,
            id: row.id,
            user_id: row.user_id,
        })
    }
}

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
        work: impl FnOnce(&mut SqliteTx<'_>, Caller) -> Result<T>,
    ) -> Result<T> {
        let now = self.store.now();
        self.store.read(|tx| {
            let row = sql::check_session(tx, &self.token_hash, now)?;
            work(
                tx,
                Caller {
                    user_id: row.user_id,
                    now,
                },
            )
        })
    }

    /// Runs `work` in an IMMEDIATE transaction after checking the session,
    /// refreshing its `last_used_at` when stale.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut SqliteTx<'_>, Caller) -> Result<T>,
    ) -> Result<T> {
        let now = self.store.now();
        self.store.write(|tx| {
            let row = sql::check_session(tx, &self.token_hash, now)?;
            if last_used_is_stale(row.last_used_at, now) {
                sql::touch_session(tx, &self.token_hash, now)?;
            }
            work(
                tx,
                Caller {
                    user_id: row.user_id,
                    now,
                },
            )
        })
    }

    /// Ends this session, here and in every process using the file.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] if it had already ended.
    pub fn logout(&self) -> Result<()> {
        self.store.write(
            |tx| match sql::delete_session_by_hash(tx, &self.token_hash)? {
                0 => Err(Error::SessionInvalid),
                _ => Ok(()),
            },
        )
    }

    /// The logged-in user.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`], [`Error::SessionExpired`].
    pub fn me(&self) -> Result<User> {
        self.read(|tx, caller| {
            sql::user_by_id(tx, caller.user_id)?
                .ok_or_else(|| Error::UserNotFound(caller.user_id.to_string()))
        })
    }

    /// The user's live sessions, newest first.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`], [`Error::SessionExpired`].
    pub fn sessions(&self) -> Result<Vec<SessionInfo>> {
        self.read(|tx, caller| sql::live_sessions(tx, caller.user_id, caller.now, self.id))
    }

    /// Ends one of the user's own sessions (possibly this one).
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] if this session is not valid, or if the user
    /// has no session with that id (another user's session counts as none).
    pub fn revoke_session(&self, id: Uuid) -> Result<()> {
        self.write(
            |tx, caller| match sql::delete_session(tx, id, caller.user_id)? {
                0 => Err(Error::SessionInvalid),
                _ => Ok(()),
            },
        )
    }

    /// A user by id.
    ///
    /// # Errors
    /// [`Error::UserNotFound`], or a session error.
    pub fn user(&self, id: UserId) -> Result<User> {
        self.read(|tx, _| {
            sql::user_by_id(tx, id)?.ok_or_else(|| Error::UserNotFound(id.to_string()))
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
        // is a prefix of the key. Every key that starts with `low` sorts
        // below `low` + the greatest code point (byte-wise BINARY collation).
        let usernames = username_key(prefix);
        let emails = email_key(prefix);
        let high = |low: &str| format!("{low}\u{10FFFF}");
        self.read(|tx, _| {
            sql::users_by_prefix(
                tx,
                (&usernames, &high(&usernames)),
                (&emails, &high(&emails)),
                limit,
            )
        })
    }
}

// ---------------------------------------------------------------------------
// Storage

pub(crate) mod sql {
    use super::*;

    pub(crate) use crate::sqlite::rows::{USER_COLUMNS, user_from_row_at};

    fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
        user_from_row_at(row, 0)
    }

    pub(crate) struct NewUserRow<'a> {
        pub email: &'a str,
        pub email_key: &'a str,
        pub username: &'a str,
        pub username_key: &'a str,
        pub first_name: &'a str,
        pub last_name: &'a str,
        pub password_hash: Option<&'a str>,
        pub created_at: DateTime<Utc>,
    }

    pub(crate) fn insert_user(conn: &Connection, user: &NewUserRow<'_>) -> Result<UserId> {
        conn.prepare_cached(
            "INSERT INTO users (email, email_key, username, username_key, first_name, last_name, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            user.email,
            user.email_key,
            user.username,
            user.username_key,
            user.first_name,
            user.last_name,
            user.password_hash,
            to_millis(user.created_at),
        ])?;
        Ok(UserId(conn.last_insert_rowid()))
    }

    pub(crate) fn user_id_by_email_key(conn: &Connection, key: &str) -> Result<Option<UserId>> {
        Ok(conn
            .prepare_cached("SELECT id FROM users WHERE email_key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    pub(crate) fn user_id_by_username_key(conn: &Connection, key: &str) -> Result<Option<UserId>> {
        Ok(conn
            .prepare_cached("SELECT id FROM users WHERE username_key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    pub(crate) fn credentials_by_email_key(
        conn: &Connection,
        key: &str,
    ) -> Result<Option<(UserId, Option<String>)>> {
        Ok(conn
            .prepare_cached("SELECT id, password_hash FROM users WHERE email_key = ?1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }

    /// Replaces the hash only if it is still the one verified, so a password
    /// changed meanwhile is not overwritten by an upgrade of the old one.
    pub(crate) fn replace_password_hash(
        conn: &Connection,
        user_id: UserId,
        old: &str,
        new: &str,
    ) -> Result<()> {
        conn.prepare_cached(
            "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
        )?
        .execute(params![user_id, old, new])?;
        Ok(())
    }

    pub(crate) fn set_password_hash(conn: &Connection, user_id: UserId, hash: &str) -> Result<()> {
        conn.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![user_id, hash])?;
        Ok(())
    }

    pub(crate) fn delete_sessions_of(conn: &Connection, user_id: UserId) -> Result<()> {
        conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
            .execute([user_id])?;
        Ok(())
    }

    pub(crate) fn user_by_id(conn: &Connection, id: UserId) -> Result<Option<User>> {
        Ok(conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
            .query_row([id], user_from_row)
            .optional()?)
    }

    /// Users whose username key or email key lies in the given ranges.
    pub(crate) fn users_by_prefix(
        conn: &Connection,
        usernames: (&str, &str),
        emails: (&str, &str),
        limit: u32,
    ) -> Result<Vec<User>> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (
                 SELECT id FROM users WHERE username_key >= ?1 AND username_key < ?2
                 UNION
                 SELECT id FROM users WHERE email_key >= ?3 AND email_key < ?4)
             ORDER BY username_key LIMIT ?5"
        ))?;
        let users = stmt
            .query_map(
                params![usernames.0, usernames.1, emails.0, emails.1, limit],
                user_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(users)
    }

    pub(crate) struct SessionRow {
        pub id: Uuid,
        pub user_id: UserId,
        pub last_used_at: DateTime<Utc>,
    }

    /// The one check of a session's validity: it exists and has not expired
    /// (valid while `now < expires_at`).
    pub(crate) fn check_session(
        conn: &Connection,
        hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<SessionRow> {
        let row = conn
            .prepare_cached(
                "SELECT id, user_id, last_used_at, expires_at FROM sessions WHERE token_hash = ?1",
            )?
            .query_row([&hash[..]], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, UserId>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .optional()?;
        let Some((id, user_id, last_used_at, expires_at)) = row else {
            return Err(Error::SessionInvalid);
        };
        super::require_unexpired(from_millis(expires_at)?, now)?;
        Ok(SessionRow {
            id: parse_uuid(&id)?,
            user_id,
            last_used_at: from_millis(last_used_at)?,
        })
    }

    fn parse_uuid(text: &str) -> Result<Uuid> {
        Uuid::parse_str(text).map_err(|_| Error::storage("a stored session id is not a UUID"))
    }

    pub(crate) fn touch_session(
        conn: &Connection,
        hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<()> {
        conn.prepare_cached("UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1")?
            .execute(params![&hash[..], to_millis(now)])?;
        Ok(())
    }

    pub(crate) fn insert_session(
        conn: &Connection,
        id: Uuid,
        user_id: UserId,
        hash: &[u8; 32],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        )?
        .execute(params![
            id.to_string(),
            user_id,
            &hash[..],
            to_millis(now),
            to_millis(expires_at)
        ])?;
        Ok(())
    }

    pub(crate) fn delete_expired_sessions(
        conn: &Connection,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2")?
            .execute(params![user_id, to_millis(now)])?;
        Ok(())
    }

    pub(crate) fn delete_session_by_hash(conn: &Connection, hash: &[u8; 32]) -> Result<usize> {
        Ok(conn
            .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
            .execute([&hash[..]])?)
    }

    pub(crate) fn delete_session(conn: &Connection, id: Uuid, user_id: UserId) -> Result<usize> {
        Ok(conn
            .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2")?
            .execute(params![id.to_string(), user_id])?)
    }

    pub(crate) fn live_sessions(
        conn: &Connection,
        user_id: UserId,
        now: DateTime<Utc>,
        current: Uuid,
    ) -> Result<Vec<SessionInfo>> {
        let mut stmt = conn.prepare_cached(
            "SELECT id, created_at, last_used_at, expires_at FROM sessions
             WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, id",
        )?;
        let mut rows = stmt.query(params![user_id, to_millis(now)])?;
        let mut sessions = Vec::new();
        while let Some(row) = rows.next()? {
            let id = parse_uuid(&row.get::<_, String>(0)?)?;
            sessions.push(SessionInfo {
                id,
                created_at: from_millis(row.get(1)?)?,
                last_used_at: from_millis(row.get(2)?)?,
                expires_at: from_millis(row.get(3)?)?,
                current: id == current,
            });
        }
        Ok(sessions)
    }
}
