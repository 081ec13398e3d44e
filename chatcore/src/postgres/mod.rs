//! The PostgreSQL backend: the one module that names the `postgres` driver,
//! its pool (`r2d2`) and its TLS crates (`rustls`, `tokio-postgres-rustls`).
//! It implements the storage traits of [`crate::storage`] over one pooled
//! connection inside a transaction ([`PgTx`]).
//!
//! Split by domain like `sqlite`: `connect` (the connection string,
//! passwords from `PGPASSWORD` / `~/.pgpass`, `tls`), `pool` (the
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
mod connect;
mod copy;
mod error;
mod feed;
mod fused;
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
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
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
}

impl<'c> PgTx<'c> {
    fn new(conn: &'c mut Conn, write: bool) -> PgTx<'c> {
        PgTx {
            conn,
            write,
            retry: false,
            notify: false,
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
    fn failed(&mut self, err: postgres::Error) -> Error {
        self.noted(Error::from(err))
    }

    fn noted(&mut self, err: Error) -> Error {
        if error::is_retryable(&err) {
            self.retry = true;
        }
        err
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let result = self.conn.client.query(&statement, params);
        result.map_err(|err| self.failed(err))
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        let result = self.conn.client.query_opt(&statement, params);
        result.map_err(|err| self.failed(err))
    }

    fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let statement = self.statement(sql)?;
        let result = self.conn.client.query_one(&statement, params);
        result.map_err(|err| self.failed(err))
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let result = self.conn.client.execute(&statement, params);
        result.map_err(|err| self.failed(err))
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
    /// The connection itself, leaving the prepared statements (the change
    /// feed's listener holds it for good).
    fn into_client(self) -> Client {
        self.client
    }

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
mod search_tests;
#[cfg(test)]
mod tests;
