//! The PostgreSQL server's and driver's failures as [`Error`]s.
//!
//! - a lock not obtained within `lock_timeout` (the busy timeout), or a
//!   statement cancelled by `statement_timeout`: [`Error::Busy`];
//! - a unique violation: [`Error::Storage`] with a
//!   [`Conflict`](crate::storage::Conflict) source (inserts use `ON CONFLICT
//!   DO NOTHING`, so this only comes from an update);
//! - a serialization failure (`40001`) or deadlock (`40P01`):
//!   [`Error::Storage`], which `pool` recognises with [`is_retryable`] and
//!   runs the call again;
//! - a lost connection: [`Error::Storage`] saying so;
//! - anything else: [`Error::Storage`] with the server's message.

use crate::error::Error;
use postgres::error::SqlState;

impl From<postgres::Error> for Error {
    fn from(err: postgres::Error) -> Error {
        if let Some(code) = err.code() {
            if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
                return Error::Busy;
            }
            if *code == SqlState::UNIQUE_VIOLATION {
                let message = err.to_string();
                return Error::Storage {
                    message,
                    source: Some(Box::new(crate::storage::Conflict(Box::new(err)))),
                };
            }
        }
        let message = match err.as_db_error() {
            Some(db) => format!("PostgreSQL: {} ({})", db.message(), db.code().code()),
            None if err.is_closed() => "the connection to the PostgreSQL server was lost; \
                                        nothing of this call was committed"
                .to_string(),
            None => format!("PostgreSQL connection: {err}"),
        };
        Error::Storage {
            message,
            source: Some(Box::new(err)),
        }
    }
}

impl From<r2d2::Error> for Error {
    /// The pool found no connection within the busy timeout: all of its
    /// connections are lent out, or the server cannot be reached (the
    /// message carries the last connection error).
    fn from(err: r2d2::Error) -> Error {
        Error::Storage {
            message: format!("no connection to the PostgreSQL server: {err}"),
            source: Some(Box::new(err)),
        }
    }
}

/// The driver's error behind `err`, if any.
fn driver_error(err: &Error) -> Option<&postgres::Error> {
    match err {
        Error::Storage {
            source: Some(source),
            ..
        } => source.downcast_ref::<postgres::Error>(),
        _ => None,
    }
}

/// Whether the server aborted the transaction only because of concurrent
/// ones (a serialization failure or a deadlock): running it again is safe
/// and will succeed once the others are done.
pub(crate) fn is_retryable(err: &Error) -> bool {
    driver_error(err)
        .and_then(postgres::Error::code)
        .is_some_and(|code| {
            *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        })
}

/// Whether `err` is the connection failing (closed, or an I/O error), as
/// opposed to the server refusing a statement.
pub(crate) fn is_connection_lost(err: &Error) -> bool {
    driver_error(err).is_some_and(|err| err.is_closed() || err.as_db_error().is_none())
}

/// `err` from a `COMMIT` whose outcome is unknown: the connection was lost
/// after the request may have reached the server.
pub(crate) fn commit_unknown(err: Error) -> Error {
    match is_connection_lost(&err) {
        true => Error::Storage {
            message: "the connection to the PostgreSQL server was lost during the commit: \
                      the call may or may not have been applied (its transaction is all or \
                      nothing either way)"
                .to_string(),
            source: match err {
                Error::Storage { source, .. } => source,
                _ => None,
            },
        },
        false => err,
    }
}
