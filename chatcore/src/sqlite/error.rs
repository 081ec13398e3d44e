//! SQLite's failures as [`Error`]s.

use crate::error::Error;

impl From<rusqlite::Error> for Error {
    /// Maps SQLite failures that no caller anticipated: a lock held past the
    /// busy timeout becomes [`Error::Busy`], everything else [`Error::Storage`].
    /// Constraint failures that mean something (a taken email) are mapped
    /// where they can happen, before this catch-all.
    fn from(err: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(ffi_err, _) = &err {
            match ffi_err.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return Error::Busy,
                ErrorCode::NotADatabase => {
                    return Error::Storage {
                        message: "the file is not a chatcore database (not SQLite, or corrupt)"
                            .to_string(),
                        source: Some(Box::new(err)),
                    };
                }
                // The shared-memory file beside a WAL database could not
                // grow: on a full disk, SQLite's bare "disk I/O error".
                ErrorCode::SystemIoFailure
                    if ffi_err.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE =>
                {
                    return Error::Storage {
                        message: "the disk is full (or over its quota): the database's \
                                  shared-memory file (the `-shm` file beside it) cannot grow; \
                                  free some space on that disk and try again (nothing was written)"
                            .to_string(),
                        source: Some(Box::new(err)),
                    };
                }
                ErrorCode::ConstraintViolation => {
                    return Error::Storage {
                        message: err.to_string(),
                        source: Some(Box::new(crate::storage::Conflict(Box::new(err)))),
                    };
                }
                ErrorCode::DiskFull => {
                    return Error::Storage {
                        message: "the disk or database is full; nothing was written".to_string(),
                        source: Some(Box::new(err)),
                    };
                }
                _ => {}
            }
        }
        Error::Storage {
            message: err.to_string(),
            source: Some(Box::new(err)),
        }
    }
}

/// Turns SQLite's "database or disk is full" into what it means when an id
/// space is used up: tables with `AUTOINCREMENT` refuse a new row once their
/// largest id is 2^63 − 1 (only an old import could get there; imports now
/// stop at [`MAX_IMPORTED_ID`](crate::MAX_IMPORTED_ID)). Any other error,
/// and a truly full disk, pass through unchanged.
pub(crate) fn explain_used_up_ids(conn: &rusqlite::Connection, err: Error) -> Error {
    let Error::Storage {
        source: Some(source),
        ..
    } = &err
    else {
        return err;
    };
    let full = source
        .downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
        == Some(rusqlite::ErrorCode::DiskFull);
    if !full {
        return err;
    }
    let used_up: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_sequence WHERE seq = ?1 ORDER BY name")
        .and_then(|mut stmt| {
            stmt.query_map([i64::MAX], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap_or_default();
    if used_up.is_empty() {
        return err;
    }
    let kinds: Vec<&str> = used_up
        .iter()
        .map(|table| match table.as_str() {
            "users" => "user",
            "threads" => "thread",
            "messages" => "message",
            other => other,
        })
        .collect();
    Error::storage(format!(
        "the {} ids of this database are used up: the largest possible id, {}, is taken, so \
         no new one can be added (the disk is not full). An import made before imported ids \
         were bounded can cause this: import the original dump into a new database",
        kinds.join(" and "),
        i64::MAX
    ))
}
