//! Opening the database file: read-write, or read-only when the file or
//! its folder cannot be written (reads then work; writes fail); creating
//! it private; checking a copy by opening it.

use super::cipher;
use super::keyspec::ConnectionKey;
use super::schema;
use crate::error::{Error, Result};
use crate::key::DatabaseKey;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Opens `path` (read-write, or read-only if it is not writable), keyed
/// with `key` if the store has one (the connection's first statement) and
/// checked readable at once, without configuring the connection further.
///
/// # Errors
/// [`Error::WrongKey`] if `key` (or its absence)
/// does not open the file, before anything is written to it.
pub(crate) fn open_file(path: &Path, key: Option<&ConnectionKey>) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    cipher::apply_key(&conn, key)?;
    // SQLite opens a file it cannot write read-only, but a WAL database
    // also needs its `-shm` file: in a folder that cannot be written,
    // after a clean close left no `-wal` and `-shm`, it cannot open.
    // With no WAL, the file alone holds everything, and no writer can
    // start without creating one, so it is opened as immutable.
    match cipher::probe(&conn, path, key)? {
        Err(rusqlite::Error::SqliteFailure(failure, _))
            if failure.code == rusqlite::ErrorCode::CannotOpen && !has_wal(path) =>
        {
            let conn = Connection::open_with_flags(
                immutable_uri(path),
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            cipher::apply_key(&conn, key)?;
            // Any other failure shows in the first real statement.
            let _ = cipher::probe(&conn, path, key)?;
            Ok(conn)
        }
        _ => Ok(conn),
    }
}

/// Whether `path` has a non-empty `-wal` file beside it.
fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|meta| meta.len() > 0)
}

/// `file:PATH?immutable=1`, the path percent-encoded as SQLite's URI
/// filenames require.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for &byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(char::from(byte));
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Creates a missing database file with mode 0600 before SQLite opens it,
/// so the file (and the WAL files SQLite derives from its mode) are private.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(Error::Storage {
            message: format!("cannot create the database file {}: {err}", path.display()),
            source: Some(Box::new(err)),
        }),
    }
}

/// Opens the copy at `target` with `key` and checks it: every page reads
/// (`PRAGMA quick_check`) and it has the source's schema version.
pub(crate) fn verify_copy(target: &Path, key: Option<&DatabaseKey>, version: i64) -> Result<()> {
    let key = key
        .map(|key| ConnectionKey::for_file(target, key))
        .transpose()?;
    let copy = open_file(target, key.as_ref())?;
    let check: String = copy.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    let copied = schema::version(&copy)?;
    if check != "ok" || copied != version {
        return Err(Error::storage(format!(
            "the copy failed its check ({check}, schema version {copied} of {version})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::immutable_uri;
    use std::path::Path;

    #[test]
    fn the_immutable_uri_percent_encodes_what_a_uri_would_misread() {
        assert_eq!(
            immutable_uri(Path::new("/data/my chats?#%.db")),
            "file:/data/my%20chats%3F%23%25.db?immutable=1"
        );
    }
}
