//! The database schema and its migrations: the one place the tables are defined.
//!
//! Versions (`PRAGMA user_version`):
//! - 1: users, sessions, threads, per-participant `members` rows with unread
//!   counters and last-read marks, messages.
//! - 2: `users.username_key` becomes the confusable skeleton of the NFKC,
//!   case-folded username (was: the lowercased username), so look-alike
//!   names are one name. No table changes; the keys are recomputed.
//! - 3: `messages.client_key`, the sender's key of an idempotent send
//!   (`Session::send_with_key`), unique per sender among keyed messages
//!   (a partial index: unkeyed sends pay nothing).
//! - 4 ([`LIFE_VERSION`]): a message's life (issue 17): `messages.edited_at`,
//!   `messages.deleted_at` (a withdrawn message: its text is emptied) and
//!   `members.cleared_through_id` (NULL: never cleared; else that member's
//!   history starts after this id).
//! - 5 ([`SEARCH_VERSION`]): the full-text search index (`sqlite::search`):
//!   two FTS5 tables over `messages.text` kept in step by triggers, built
//!   for the messages already stored.
//! - 6 ([`FEED_VERSION`]): the change feed (`changes`, and
//!   `users.changes_pruned_through`); see `crate::feed`. Added empty:
//!   cursors start at the migration.
//! - 7 ([`SEARCH_QUEUE_VERSION`]): the search index is kept 64 messages at
//!   a time (`sqlite::search_queue`): `search_state.indexed_through`, and
//!   the three search triggers replaced.

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// The newest schema version this library knows.
pub(crate) const VERSION: i64 = SEARCH_QUEUE_VERSION;

/// The version that adds edits, withdrawn messages and clear marks
/// ([`V4`]); one constant so that its place in the chain can move.
pub(crate) const LIFE_VERSION: i64 = 4;

/// The version that adds the search index; it applies on top of
/// [`BEFORE_SEARCH`].
pub(crate) const SEARCH_VERSION: i64 = 5;

/// The version the search step upgrades from.
pub(crate) const BEFORE_SEARCH: i64 = LIFE_VERSION;

/// The version that adds the change feed ([`FEED`]); it applies on top of
/// [`SEARCH_VERSION`] (it only adds a table, an index and a column).
pub(crate) const FEED_VERSION: i64 = 6;

/// The version that indexes new messages in batches
/// (`sqlite::search_queue`); it applies on top of [`FEED_VERSION`].
pub(crate) const SEARCH_QUEUE_VERSION: i64 = 7;

/// Version 1. Times are milliseconds since the Unix epoch (UTC).
///
/// - `users.email_key` / `username_key` hold the case-folded forms the
///   uniqueness rules compare; `email` / `username` keep what was given.
/// - `users.unread_total` and `members.unread` are counters kept in the same
///   transaction as every send, read mark and delete, so unread counts cost
///   O(1); `Store::verify_unread` recomputes them from the messages.
/// - `threads` stores its pair ordered (`user_low < user_high`) under a UNIQUE
///   constraint: concurrent create-or-get can never make two threads.
/// - `members` is one row per participant: the inbox is one range scan of
///   `members_inbox`, and `last_read_id` lets "mark thread read" touch only
///   the backlog.
const V1: &str = "
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at    INTEGER NOT NULL,
    unread_total  INTEGER NOT NULL DEFAULT 0 CHECK (unread_total >= 0)
) STRICT;

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE threads (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_low         INTEGER NOT NULL REFERENCES users(id),
    user_high        INTEGER NOT NULL REFERENCES users(id),
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    last_message_id  INTEGER,
    CHECK (user_low < user_high),
    UNIQUE (user_low, user_high)
) STRICT;

CREATE TABLE members (
    user_id          INTEGER NOT NULL REFERENCES users(id),
    thread_id        INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    other_id         INTEGER NOT NULL REFERENCES users(id),
    last_activity_at INTEGER NOT NULL,
    unread           INTEGER NOT NULL DEFAULT 0 CHECK (unread >= 0),
    last_read_id     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, thread_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_inbox ON members(user_id, last_activity_at DESC, thread_id DESC);
CREATE INDEX members_thread ON members(thread_id);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id  INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    sender_id  INTEGER NOT NULL REFERENCES users(id),
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
) STRICT;
CREATE INDEX messages_thread ON messages(thread_id, id);
";

/// Version 3: the client key of an idempotent send. NULL for every message
/// sent without one (all messages before this version); the UNIQUE index
/// covers keyed messages only, so a retry that races the first send from
/// another process meets a conflict instead of storing a second message.
const V3: &str = "
ALTER TABLE messages ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX messages_client_key ON messages(sender_id, client_key)
    WHERE client_key IS NOT NULL;
";

/// Version 4 ([`LIFE_VERSION`]): a message's life. `edited_at` and
/// `deleted_at` are NULL for every message before this version. A withdrawn
/// message keeps its row (id, thread, sender, times, read time, client key)
/// with `text = ''`; connections run with `secure_delete` on, so the old
/// text's bytes are zeroed in the pages, not left in free space.
/// `cleared_through_id` is per member: NULL until the member clears the
/// thread, then the newest message id at that moment (0 for an empty
/// thread); messages at or below it are hidden from that member only.
const V4: &str = "
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE members ADD COLUMN cleared_through_id INTEGER;
";

/// The change feed (`crate::feed`): one row per entry of a user's feed.
///
/// - `id` is the entry's cursor: AUTOINCREMENT, so ids are never reused,
///   and since SQLite has one writer at a time they grow in commit order.
/// - `seq` numbers a user's entries 1, 2, 3, … (no gaps; pruning removes
///   a prefix), so the count kept is `newest seq - oldest seq + 1` with
///   two index seeks.
/// - `thread_id` / `message_id` / `other_id` are the ids involved, with no
///   foreign keys: a thread deleted later keeps its entries (the message
///   is joined at read time and then missing).
/// - `users.changes_pruned_through` is the highest entry id pruned from
///   that user's feed: a cursor below it has lost entries (`ChangesExpired`).
const FEED: &str = "
CREATE TABLE changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    thread_id  INTEGER,
    message_id INTEGER,
    other_id   INTEGER
) STRICT;
CREATE INDEX changes_user ON changes(user_id, id, seq);
ALTER TABLE users ADD COLUMN changes_pruned_through INTEGER NOT NULL DEFAULT 0;
";

/// Reads the file's schema version without writing anything.
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Refuses a file from a newer chatcore. Reads only, so the file stays
/// byte-for-byte untouched.
pub(crate) fn check_not_newer(conn: &Connection) -> Result<i64> {
    let found = version(conn)?;
    if found > VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: VERSION,
        });
    }
    Ok(found)
}

/// Brings the schema up to [`VERSION`] in one IMMEDIATE transaction.
/// Another process may have migrated meanwhile, so the version is read
/// again under the write lock.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    if check_not_newer(conn)? == VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut current = check_not_newer(&tx)?;
    if current == 0 {
        refuse_foreign_database(&tx)?;
    }
    while current < VERSION {
        current = upgrade_from(&tx, current)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Version 2: recomputes every username key with today's rule. Two users
/// whose names were distinct before but look alike now both keep their
/// accounts: the later one keeps its old key (nothing stored is lost).
fn recompute_username_keys(conn: &Connection) -> Result<()> {
    let users: Vec<(i64, String)> = conn
        .prepare("SELECT id, username FROM users ORDER BY id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE OR IGNORE users SET username_key = ?2 WHERE id = ?1")?;
    for (id, username) in users {
        update.execute(rusqlite::params![id, crate::names::username_key(&username)])?;
    }
    Ok(())
}

/// A file at version 0 is new only if it is empty; tables without our
/// version mark belong to some other program, and we must not write into it.
pub(crate) fn refuse_foreign_database(conn: &Connection) -> Result<()> {
    let objects: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
    if objects > 0 {
        return Err(Error::storage(
            "the file is an SQLite database of another program, not a chatcore store; it was left untouched",
        ));
    }
    Ok(())
}

/// Runs the step from `version`; returns the version it reached.
fn upgrade_from(conn: &Connection, version: i64) -> Result<i64> {
    match version {
        0 => conn.execute_batch(V1)?,
        1 => recompute_username_keys(conn)?,
        2 => conn.execute_batch(V3)?,
        v if v == LIFE_VERSION - 1 => conn.execute_batch(V4)?,
        BEFORE_SEARCH => {
            super::search::create_index(conn)?;
            return Ok(SEARCH_VERSION);
        }
        SEARCH_VERSION => {
            conn.execute_batch(FEED)?;
            return Ok(FEED_VERSION);
        }
        FEED_VERSION => {
            super::search_queue::upgrade(conn)?;
            return Ok(SEARCH_QUEUE_VERSION);
        }
        other => {
            return Err(Error::Internal(format!(
                "no migration from schema version {other}"
            )));
        }
    }
    Ok(version + 1)
}
