//! The SQLite backend: the one module that names `rusqlite`. It implements
//! the storage traits of [`crate::storage`] over a connection in a
//! transaction ([`SqliteTx`]), maps SQLite's errors to [`crate::Error`]
//! (`error`), and stores ids as integers and times as milliseconds since
//! the Unix epoch (`ids`, [`to_millis`]).
//!
//! Per aggregate: `threads` ([`crate::storage::ThreadStorage`]),
//! `messages` ([`crate::storage::MessageStorage`]), `feed`
//! ([`crate::storage::FeedStorage`]); `watch` notices other processes'
//! commits for the feed's waits.

pub(crate) mod accounts;
pub(crate) mod checkpoint;
pub(crate) mod cipher;
mod copy;
mod error;
mod feed;
pub(crate) use error::explain_used_up_ids;
pub(crate) use pool::Backend;
mod ids;
mod import;
pub(crate) mod keyspec;
pub(crate) mod life;
pub(crate) mod messages;
pub(crate) mod open;
mod pool;
pub(crate) mod rows;
pub(crate) mod schema;
pub(crate) mod search;
pub(crate) mod search_build;
pub(crate) mod search_queue;
pub(crate) mod threads;
mod watch;

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection};

/// The page cache of the connection doing a bulk load, in KiB (64 MiB):
/// room for a 100,000-message transaction's pages, where the default 2 MiB
/// makes a large transaction spill (PERF-NOTES lesson 6).
pub const BULK_CACHE_KIB: i64 = 64 * 1024;

/// One transaction (or, for `Store::read_one`, one autocommit statement) on
/// a pooled connection: the object the domain code works through.
pub(crate) struct SqliteTx<'c> {
    conn: &'c Connection,
    /// The message insert, prepared once per transaction (a bulk load runs
    /// it for every message).
    insert_message: Option<CachedStatement<'c>>,
    /// The page cache size to restore when a bulk load ends.
    cache_before_bulk: Option<i64>,
    /// During a bulk load: its messages are indexed when it ends
    /// (`search_queue::resume_indexing`).
    indexing_suspended: bool,
}

impl<'c> SqliteTx<'c> {
    /// Wraps a connection that is inside the transaction the caller runs.
    pub(crate) fn new(conn: &'c Connection) -> SqliteTx<'c> {
        SqliteTx {
            conn,
            insert_message: None,
            cache_before_bulk: None,
            indexing_suspended: false,
        }
    }
}

/// Every fused call is the default composition: on SQLite a call costs no
/// round trip.
impl crate::storage::FusedStorage for SqliteTx<'_> {}

/// Milliseconds since the Unix epoch, the form every time is stored in.
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The inverse of [`to_millis`]; a value out of chrono's range can only come
/// from a damaged file.
pub(crate) fn from_millis(millis: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, millis))
}

#[cfg(test)]
mod tests;
