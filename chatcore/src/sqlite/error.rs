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
