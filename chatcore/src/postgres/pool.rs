//! The PostgreSQL backend's connections (an `r2d2` pool) and the
//! transactions the [`Store`](crate::Store) runs its work in.
//!
//! Modes:
//! - `Read`: `REPEATABLE READ READ ONLY`, one snapshot that blocks nobody;
//! - `ReadOne`: the statement alone, in autocommit (its own snapshot);
//! - `Write` / `DryRun`: `READ COMMITTED`; rows a decision rests on are
//!   locked as they are read (see the module docs of `postgres`); `DryRun`
//!   always rolls back;
//! - `WriteIfFree`: as `Write` with `lock_timeout` at 1 ms for that
//!   transaction: "the write lock is free" means every row it writes is
//!   free at once. If one is locked the transaction rolls back and the work
//!   counts as not run.
//!
//! The busy timeout is every connection's `lock_timeout` (a row lock held
//! longer by another transaction gives [`Error::Busy`]), and how long a
//! call waits for a pooled connection.

use super::client::{Client, DriverError};
use super::connect::Target;
use super::error::{commit_unknown, is_retryable};
use super::feed::NOTIFY_AFTER_COMMIT;
use super::{CommitWith, Conn, PgTx, State};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::{Mode, Tx};
use postgres::error::SqlState;
use std::path::Path;
use std::time::Duration;

/// Connections kept per store.
const MAX_CONNECTIONS: u32 = 8;

/// How many times a call runs when concurrent transactions keep aborting it
/// (serialization failures, deadlocks, a key taken meanwhile) before
/// [`Error::Busy`] is returned.
pub(crate) const MAX_ATTEMPTS: u32 = 12;

/// One PostgreSQL store: the pool of connections to its schema.
pub(crate) struct Backend {
    pool: r2d2::Pool<Manager>,
    /// Where the connections go (for the feed's listener).
    target: Target,
    /// The feed's listener of other processes' commits, once started.
    watcher: super::watch::Watcher,
}

/// Opens connections for the pool.
pub(crate) struct Manager(Target);

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<()> {
        Ok(conn.client.batch_execute("")?)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.dirty || conn.client.is_closed()
    }
}

/// The refusal of a database key: SQLCipher encrypts SQLite files only.
fn no_encryption() -> Error {
    Error::InvalidArgument(
        "a PostgreSQL store has no chatcore encryption key (SQLCipher encrypts SQLite files \
         only): protect it with TLS (sslmode=verify-full) and the server's own encryption \
         at rest"
            .to_string(),
    )
}

/// How one attempt failed, and whether running the call again may succeed.
struct Failure {
    err: Error,
    retry: bool,
}

impl Backend {
    /// Connects to the store `location` names (see `connect`), creating or
    /// migrating its schema.
    pub(crate) fn open(location: &str, config: &Config) -> Result<Backend> {
        if config.key.is_some() {
            return Err(no_encryption());
        }
        let target = Target::parse(location, config.busy_timeout)?;
        let first = target.connect()?;
        super::schema::migrate(&first.client)?;
        let pool = r2d2::Pool::builder()
            .max_size(MAX_CONNECTIONS)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(config.busy_timeout.max(Duration::from_secs(1)))
            .build_unchecked(Manager(target.clone()));
        Ok(Backend {
            pool,
            target,
            watcher: super::watch::Watcher::default(),
        })
    }

    /// One try of `work` in `mode` on a pooled connection.
    fn attempt(
        &self,
        mode: Mode,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> std::result::Result<bool, Failure> {
        let fail = |err: Error| Failure { err, retry: false };
        let mut conn = self.pool.get().map_err(|err| fail(err.into()))?;
        if mode == Mode::ReadOne {
            return work(&mut PgTx::new(&mut conn, false))
                .map(|()| true)
                .map_err(|err| Failure {
                    retry: is_retryable(&err),
                    err,
                });
        }
        let begin = match mode {
            Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            Mode::WriteIfFree => "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = 1",
            _ => "BEGIN ISOLATION LEVEL READ COMMITTED",
        };
        // Only a plain write may commit with its last statement: a dry run
        // rolls back, and `WriteIfFree`'s lock timeout is its transaction's.
        let commit_with = match mode {
            Mode::Write => CommitWith::Allowed,
            _ => CommitWith::Never,
        };
        // Until COMMIT or ROLLBACK succeeds the pool would close this
        // connection (a panic in `work` included).
        conn.dirty = true;
        // `BEGIN` goes with the first statement (`PgTx::take_begin`).
        let mut tx = PgTx::deferred(&mut conn, mode != Mode::Read, begin, commit_with);
        let result = work(&mut tx);
        let (retry, notify, state) = (tx.retry, tx.notify, tx.state);
        let (commit_with, broken) = (tx.commit_with, tx.broken);
        match (result, mode, state) {
            // Nothing was sent, or the last statement ended the transaction.
            (Ok(()), _, State::NotBegun | State::Ended) => {
                conn.dirty = broken;
                Ok(true)
            }
            (Ok(()), Mode::DryRun, State::Open) => {
                conn.client
                    .batch_execute("ROLLBACK")
                    .map_err(|err| fail(err.into()))?;
                conn.dirty = false;
                Ok(true)
            }
            (Ok(()), _, State::Open) => match commit(&conn.client, notify) {
                Ok(true) => {
                    conn.dirty = false;
                    Ok(true)
                }
                // The work is committed and stays so. A notification that
                // failed is only late (waiters recheck); the connection is
                // then dropped, not reused.
                Ok(false) => Ok(true),
                Err(err) => Err(Failure {
                    retry: is_retryable(&err),
                    err,
                }),
            },
            (Err(err), _, _) => {
                // Also after an ended transaction: a failed notification
                // leaves the connection inside its own failed transaction.
                let clean =
                    state == State::NotBegun || conn.client.batch_execute("ROLLBACK").is_ok();
                conn.dirty = !clean;
                if mode == Mode::WriteIfFree && matches!(err, Error::Busy) {
                    return Ok(false);
                }
                match commit_with {
                    CommitWith::Committed => Err(fail(after_commit(err))),
                    CommitWith::Failed => Err(fail(err)),
                    CommitWith::Never | CommitWith::Allowed => Err(Failure {
                        retry: retry || is_retryable(&err),
                        err,
                    }),
                }
            }
        }
    }
}

/// The error of what a call ran after its write had committed with its
/// last statement (the feed's upkeep): the change itself is stored.
fn after_commit(err: Error) -> Error {
    Error::Storage {
        message: format!(
            "the change is stored (committed), but the upkeep that follows it failed: {err}"
        ),
        source: Some(Box::new(err)),
    }
}

/// The query string that commits, with the feed's notification after it
/// if `notify` (see [`commit`]).
pub(super) fn commit_sql(notify: bool) -> &'static str {
    match notify {
        true => &COMMIT_AND_NOTIFY,
        false => "COMMIT",
    }
}

/// Commits the open transaction (see [`committed`]).
pub(super) fn commit(client: &Client, notify: bool) -> Result<bool> {
    committed(client, client.batch_execute(commit_sql(notify)))
}

/// What the query string of [`commit_sql`] answered (`sent`), as: `true`
/// committed; `false` committed, but the notification after it failed, so
/// the connection must not be reused (the work stays committed; waiters
/// only learn of it late, as they recheck); an error: not committed, or
/// the outcome is unknown (the connection was lost).
///
/// With the notification, the string commits and then notifies in a
/// transaction of its own (`feed::NOTIFY_AFTER_COMMIT`), one round trip.
/// The server runs the statements of the string in order, so the notifying
/// transaction starts only once the `COMMIT` has returned (flush included),
/// and the sending transaction never notifies itself (see `feed`). If the
/// `COMMIT` fails, the server skips the rest of the string. If it succeeds
/// and the notification then fails, the connection is left inside the
/// failed notifying transaction: a probe statement tells the two apart (an
/// extra round trip only on failure).
pub(super) fn committed(
    client: &Client,
    sent: std::result::Result<(), DriverError>,
) -> Result<bool> {
    let err = match sent {
        Ok(()) => return Ok(true),
        Err(err) => err,
    };
    if err.is_closed() {
        return Err(commit_unknown(Error::from(err)));
    }
    match client.batch_execute("SELECT 1") {
        // Outside any transaction: the COMMIT itself failed.
        Ok(()) => Err(commit_unknown(Error::from(err))),
        // In the failed notifying transaction (or worse): committed.
        Err(probe) if probe.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => Ok(false),
        Err(_) => Err(commit_unknown(Error::from(err))),
    }
}

/// `COMMIT`, then the notification: see [`commit`].
static COMMIT_AND_NOTIFY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("COMMIT; {}", *NOTIFY_AFTER_COMMIT));

/// A short wait before running a call again, longer after each attempt and
/// different between callers, so that colliding transactions spread out.
fn back_off(attempt: u32) {
    let mut jitter = [0u8; 2];
    let _ = getrandom::fill(&mut jitter);
    let micros = u64::from(u16::from_le_bytes(jitter)) % (200 * u64::from(attempt.min(10)));
    std::thread::sleep(Duration::from_micros(100 + micros));
}

impl crate::storage::Backend for Backend {
    fn run(&self, mode: Mode, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<bool> {
        let mut attempt = 1;
        loop {
            match self.attempt(mode, work) {
                Ok(ran) => return Ok(ran),
                Err(Failure { retry: true, .. }) if attempt < MAX_ATTEMPTS => {
                    back_off(attempt);
                    attempt += 1;
                }
                Err(Failure { retry: true, err }) if is_retryable(&err) => return Err(Error::Busy),
                Err(Failure { err, .. }) => return Err(err),
            }
        }
    }

    fn path(&self) -> Option<&Path> {
        None
    }

    fn fused_reads_are_one_statement(&self) -> bool {
        // `postgres::fused`: each is one statement.
        true
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn checkpoint(&self) -> Result<()> {
        // The server checkpoints on its own.
        Ok(())
    }

    fn backup_into(&self, _target: &Path, _key: Option<&crate::key::DatabaseKey>) -> Result<()> {
        Err(Error::InvalidArgument(
            "a PostgreSQL store is not backed up to a file by chatcore: copy it with \
             `chat copy --to FILE` (Store::copy_to), or use pg_dump"
                .to_string(),
        ))
    }

    fn key(&self) -> Option<crate::key::DatabaseKey> {
        // The server stores the data; chatcore encrypts no PostgreSQL files.
        None
    }

    fn rekey(&self, _new_key: &crate::key::DatabaseKey) -> Result<()> {
        Err(no_encryption())
    }

    fn watch_other_processes(
        &self,
        on_commit: std::sync::Arc<dyn Fn() + Send + Sync>,
    ) -> Result<()> {
        self.watcher.start(&self.target, on_commit)
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
