//! The PostgreSQL backend: the one module that names the driver
//! (`tokio-postgres`, used synchronously, and `postgres` for the feed's
//! listener), its pool (`r2d2`) and its TLS crates (`rustls`,
//! `tokio-postgres-rustls`). It implements the storage traits of
//! [`crate::storage`] over one pooled connection inside a transaction
//! ([`PgTx`]).
//!
//! Split by domain like `sqlite`: `connect` (the connection string,
//! passwords from `PGPASSWORD` / `~/.pgpass`, `tls`), `client` (one
//! connection, synchronous, that sends `BEGIN` and `COMMIT` in the round
//! trip of a statement), `pool` (the
//! [`Backend`]: modes, retries), `schema` (versions and migrations),
//! `error` (the server's errors as [`crate::Error`]s), `rows`, and one file
//! per aggregate: `accounts`, `threads`, `messages`, `life`, `import`,
//! `copy`, `search` (with `search_text`, what the index holds), `feed`
//! (with `watch`, its `LISTEN` thread).
//!
//! # How the guarantees of a single SQLite writer are kept
//!
//! SQLite runs one writer at a time, so every read-then-write decision of
//! the domain modules sees the state it writes over. Here writes run
//! concurrently in `READ COMMITTED` transactions, and:
//! - **a write transaction locks the thread it acts on** (`SELECT … FOR
//!   UPDATE` when it reads the thread, [`PgTx::write`]): sends, read marks
//!   and deletes of one thread run one after the other, so the newest
//!   message, activity times, read marks and a thread's message ids follow
//!   commit order, as on SQLite; different threads proceed in parallel;
//! - **counters change by atomic increments** (`unread = unread + 1`) under
//!   those locks, so concurrent sends and marks never lose an update;
//! - **uniqueness is the backstop of every create-or-get**: inserts use
//!   `ON CONFLICT DO NOTHING`, and a conflict that only a concurrent commit
//!   can explain (a new user's key, a new thread's pair) runs the whole
//!   call again, where the rule then sees the other commit (`EmailTaken`,
//!   the existing thread);
//! - **serialization failures and deadlocks** (`40001`, `40P01`) run the
//!   call again too, a bounded number of times ([`pool::MAX_ATTEMPTS`]).
//!
//! Times are stored as `BIGINT` milliseconds since the Unix epoch, as on
//! SQLite: the row mapping stays symmetric and the precision is the
//! store's (a `timestamptz` has microseconds the store never uses).

mod accounts;
mod client;
mod connect;
mod copy;
mod error;
mod feed;
mod fused;
mod fused_sql;
mod import;
mod life;
mod messages;
mod pgpass;
mod pool;
mod rows;
pub(crate) mod schema;
mod search;
mod search_text;
mod threads;
mod tls;
mod watch;

pub(crate) use pool::Backend;

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use client::{Client, DriverError, Pipelined};
use postgres::types::ToSql;
use postgres::{Row, Statement};
use std::collections::HashMap;

/// One pooled connection with its prepared statements (the synchronous
/// client would otherwise prepare every statement again: two round trips
/// per query instead of one).
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Set while a transaction is open, and when the connection is in a
    /// state it cannot be lent out in: the pool then closes it.
    dirty: bool,
}

/// One transaction (or, for `Store::read_one`, one autocommit statement) on
/// a pooled connection: the object the domain code works through.
///
/// Its `BEGIN` is not sent on its own: it goes with the first statement, in
/// the same round trip ([`Client::query_between`]). A write the domain
/// marks as its last ([`CommitWith`]) goes with the `COMMIT` the same way.
pub(crate) struct PgTx<'c> {
    conn: &'c mut Conn,
    /// A write transaction: reads that a decision rests on lock their rows.
    write: bool,
    /// An insert met a key that only a concurrent commit can have taken:
    /// the call runs again from the start.
    retry: bool,
    /// Change feed entries were appended: other processes' waiters are
    /// notified once the transaction has committed (`feed`).
    notify: bool,
    /// Where the transaction is (see [`State`]).
    state: State,
    /// The `BEGIN` of this transaction, and of the one that follows an
    /// early commit; `None` for one autocommit statement.
    begin: Option<&'static str>,
    /// Whether a write may commit together with its statement.
    commit_with: CommitWith,
    /// The connection must not be lent out again.
    broken: bool,
}

/// Where a [`PgTx`]'s transaction is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    /// Nothing sent yet: `BEGIN` goes with the first statement.
    NotBegun,
    /// Open on the server: the end needs a `COMMIT` or `ROLLBACK`.
    Open,
    /// Ended with a statement ([`PgTx::query_and_commit`]); anything after
    /// it runs in a transaction of its own (then `Open` again).
    Ended,
}

/// Whether the domain's last write of a call may carry the `COMMIT`, and
/// whether it did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CommitWith {
    /// Never: a read, a dry run, or a write that must stay open to the end.
    Never,
    /// Yes: a plain write transaction.
    Allowed,
    /// It did: the write is committed. If what runs after it fails, the
    /// call fails saying so, and does not run again.
    Committed,
    /// It tried, and the commit failed or its outcome is unknown: the
    /// error says so, and the call does not run again.
    Failed,
}
impl<'c> PgTx<'c> {
    fn new(conn: &'c mut Conn, write: bool) -> PgTx<'c> {
        PgTx {
            conn,
            write,
            retry: false,
            notify: false,
            state: State::Open,
            begin: None,
            commit_with: CommitWith::Never,
            broken: false,
        }
    }

    /// A transaction whose `begin` goes with its first statement.
    fn deferred(
        conn: &'c mut Conn,
        write: bool,
        begin: &'static str,
        commit_with: CommitWith,
    ) -> PgTx<'c> {
        PgTx {
            state: State::NotBegun,
            begin: Some(begin),
            commit_with,
            ..PgTx::new(conn, write)
        }
    }

    /// `FOR UPDATE` in a write transaction, else nothing.
    fn lock(&self) -> &'static str {
        match self.write {
            true => " FOR UPDATE",
            false => "",
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        self.conn.statement(sql).map_err(|err| self.noted(err))
    }

    /// `err` as an [`Error`], remembering whether the call should run again.
    fn failed(&mut self, err: DriverError) -> Error {
        self.noted(Error::from(err))
    }

    fn noted(&mut self, err: Error) -> Error {
        if error::is_retryable(&err) {
            self.retry = true;
        }
        err
    }

    /// The `BEGIN` to send with the next statement, if the transaction has
    /// not begun on the server yet; the transaction counts as open from
    /// here.
    fn take_begin(&mut self) -> Option<&'static str> {
        match self.state {
            State::Open => None,
            State::NotBegun | State::Ended => {
                self.state = State::Open;
                self.begin
            }
        }
    }

    /// The connection, with the transaction begun on the server (for work
    /// that sends its own statements: rebuilding the search index).
    fn client(&mut self) -> Result<&Client> {
        if let Some(begin) = self.take_begin() {
            let result = self.conn.client.batch_execute(begin);
            result.map_err(|err| self.failed(err))?;
        }
        Ok(&self.conn.client)
    }

    /// The answer of a statement sent with a `BEGIN` before it: a `BEGIN`
    /// that failed (which only a broken connection explains) fails the
    /// call. If the statement too failed, nothing ran and the call may run
    /// again on another connection; if it ran, it ran outside any
    /// transaction, and the call's outcome is unknown.
    fn begun<T>(&mut self, answer: Pipelined<T>) -> Result<T> {
        if let Err(err) = answer.before {
            let ran = answer.result.is_ok();
            let err = Error::from(err);
            return Err(match ran {
                true => error::commit_unknown(err),
                false => {
                    self.retry |= error::is_connection_lost(&err);
                    err
                }
            });
        }
        answer.result.map_err(|err| self.failed(err))
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let begin = self.take_begin();
        let answer = self
            .conn
            .client
            .query_between(begin, &statement, params, None);
        self.begun(answer)
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let mut rows = self.query(sql, params)?.into_iter();
        match (rows.next(), rows.next()) {
            (row, None) => Ok(row),
            (_, Some(_)) => Err(Error::storage(format!(
                "a statement that returns at most one row returned several: {sql}"
            ))),
        }
    }

    fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        self.query_opt(sql, params)?.ok_or_else(|| {
            Error::storage(format!(
                "a statement that returns one row returned none: {sql}"
            ))
        })
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let begin = self.take_begin();
        let answer = self
            .conn
            .client
            .execute_between(begin, &statement, params, None);
        self.begun(answer)
    }

    /// [`PgTx::query`] for the last write of a call: where the transaction
    /// allows it, the `COMMIT` (with the feed's notification if `notify`)
    /// goes in the same round trip, and the rows are those of a committed
    /// write. Anything the call does after it runs in a transaction of its
    /// own.
    fn query_and_commit(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        notify: bool,
    ) -> Result<Vec<Row>> {
        if self.commit_with != CommitWith::Allowed {
            self.notify |= notify;
            return self.query(sql, params);
        }
        let statement = self.statement(sql)?;
        let begin = self.take_begin();
        let commit = pool::commit_sql(self.notify || notify);
        let answer = self
            .conn
            .client
            .query_between(begin, &statement, params, Some(commit));
        self.state = State::Ended;
        self.notify = false;
        if answer.before.is_err() {
            self.commit_with = CommitWith::Failed;
            return self.begun(answer);
        }
        let rows = match answer.result {
            Ok(rows) => rows,
            // The statement failed, so the `COMMIT` rolled its transaction
            // back: nothing was written, as after any failed statement (the
            // call may run again). Unless the connection failed: then the
            // `COMMIT` may have run.
            Err(err) => {
                let err = self.failed(err);
                self.broken = answer.after.is_err();
                if !error::is_connection_lost(&err) {
                    return Err(err);
                }
                self.commit_with = CommitWith::Failed;
                return Err(error::commit_unknown(err));
            }
        };
        match pool::committed(&self.conn.client, answer.after) {
            Ok(clean) => {
                self.commit_with = CommitWith::Committed;
                self.broken = !clean;
                Ok(rows)
            }
            Err(err) => {
                self.commit_with = CommitWith::Failed;
                self.broken = true;
                Err(err)
            }
        }
    }

    /// Runs an insert ending in `ON CONFLICT DO NOTHING RETURNING id`: the
    /// new id, or a [`Conflict`](crate::storage::Conflict) error if a key or
    /// id was taken (the transaction stays usable). `concurrent` says the
    /// rules checked the keys in this transaction, so only a concurrent
    /// commit can have taken them: the call then runs again.
    fn insert_returning_id(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        what: &str,
        concurrent: bool,
    ) -> Result<i64> {
        match self.query_opt(sql, params)? {
            Some(row) => Ok(row.try_get(0)?),
            None => {
                self.retry |= concurrent;
                Err(conflict(what))
            }
        }
    }
}

/// The error of an insert that met a key or id in use.
fn conflict(what: &str) -> Error {
    let message = format!("{what} already in use");
    Error::Storage {
        message: message.clone(),
        source: Some(Box::new(crate::storage::Conflict(message.into()))),
    }
}

impl Conn {
    /// The prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// Milliseconds since the Unix epoch, the form every time is stored in.
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The inverse of [`to_millis`]; a value out of chrono's range can only come
/// from a damaged or foreign table.
pub(crate) fn from_millis(millis: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| Error::storage(format!("a stored time is out of range: {millis}")))
}

#[cfg(test)]
mod commit_tests;
#[cfg(test)]
mod feed_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
