//! SQLCipher: keying each connection, telling a wrong key from a damaged
//! file, re-keying, and copies to an encrypted or plain file.
//!
//! Every connection to a keyed store runs `PRAGMA key` as its first
//! statement (with the key text of [`ConnectionKey`], which for a
//! passphrase was derived once per open), then reads `sqlite_schema` at once: SQLCipher only finds out
//! that a key is wrong when it decrypts the first page, and that read writes
//! nothing, so a wrong key is refused before anything could touch the file.

use super::keyspec::ConnectionKey;
use crate::error::{Error, Result};
use crate::key::DatabaseKey;
use rusqlite::{Connection, ErrorCode};
use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

/// The first 16 bytes of every plain SQLite file. An encrypted file starts
/// with its random salt instead.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Keys `conn` (its first statement) when the store has a key; nothing
/// otherwise. The SQL text holding the key is wiped when dropped.
pub(crate) fn apply_key(conn: &Connection, key: Option<&ConnectionKey>) -> Result<()> {
    // SQLCipher writes its own log to stderr by default (a wrong key is an
    // "ERROR" line there): a library must not write to its host's stderr.
    // The level is process-wide; errors reach the caller as `Error`s.
    conn.execute_batch("PRAGMA cipher_log_level = NONE")?;
    let Some(key) = key else {
        return Ok(());
    };
    let sql = Zeroizing::new(format!("PRAGMA key = {}", quoted(key.text()).as_str()));
    conn.execute_batch(&sql).map_err(|err| {
        // SQLite's error names the failure, never the SQL (so not the key).
        let detail = match &err {
            rusqlite::Error::SqliteFailure(failure, message) => {
                format!(
                    "{}, {}",
                    failure.extended_code,
                    message.as_deref().unwrap_or("")
                )
            }
            _ => String::new(),
        };
        Error::storage(format!(
            "SQLCipher refused to set the database key ({detail})"
        ))
    })
}

/// `text` as an SQL string literal, its text wiped when dropped.
fn quoted(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 2));
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Reads the schema table: the cheap read that makes SQLCipher decrypt the
/// first page. `Ok(Err(..))` is an SQLite failure other than "not a
/// database" (the caller decides: a folder that cannot be written gives
/// `CannotOpen`); a key that does not open the file is [`Error::WrongKey`].
pub(crate) fn probe(
    conn: &Connection,
    path: &Path,
    key: Option<&ConnectionKey>,
) -> Result<std::result::Result<(), rusqlite::Error>> {
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(Ok(())),
        Err(err) if err.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            Err(not_readable(path, key.is_some(), err))
        }
        Err(err) => Ok(Err(err)),
    }
}

/// The error for a file SQLite could not read as a database, opened with
/// a key (`keyed`) or without: [`Error::WrongKey`] where a key explains it,
/// else the plain "not a chatcore database" storage error.
fn not_readable(path: &Path, keyed: bool, err: rusqlite::Error) -> Error {
    let (header, len) = read_header(path);
    let plain = header.starts_with(SQLITE_MAGIC);
    match keyed {
        true if plain => Error::WrongKey(
            "the file is a plain (unencrypted) database: open it without a key, or make an \
             encrypted copy with backup"
                .into(),
        ),
        true => Error::WrongKey(
            "the key does not open this file (a wrong key, or a file that is not a chatcore \
             database)"
                .into(),
        ),
        false if !plain && looks_encrypted(&header, len) => Error::WrongKey(
            "the file is encrypted (or is not a database at all): open it with its key".into(),
        ),
        false => err.into(),
    }
}

/// The first 16 bytes of the file (fewer if it is shorter) and its length.
fn read_header(path: &Path) -> (Vec<u8>, u64) {
    let mut header = Vec::with_capacity(16);
    let Ok(file) = std::fs::File::open(path) else {
        return (header, 0);
    };
    let len = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let _ = file.take(16).read_to_end(&mut header);
    (header, len)
}

/// Whether an unreadable file has the shape of an SQLCipher file: whole
/// pages (a multiple of 512 bytes) that start with a random salt (at least
/// 8 distinct values in its 16 bytes; a random salt has fewer with a
/// probability far below 10^-9).
fn looks_encrypted(header: &[u8], len: u64) -> bool {
    let mut seen = [false; 256];
    for &byte in header {
        seen[usize::from(byte)] = true;
    }
    let distinct = seen.iter().filter(|&&b| b).count();
    header.len() == 16 && len >= 512 && len.is_multiple_of(512) && distinct >= 8
}

/// Whether the database `conn` is open on is encrypted (has a codec).
#[cfg(test)]
pub(crate) fn is_encrypted(conn: &Connection) -> Result<bool> {
    // `PRAGMA cipher_version` answers on any connection; `cipher_provider`
    // only on one with a codec attached.
    let provider: Option<String> = conn
        .query_row("PRAGMA cipher_provider", [], |row| row.get(0))
        .or_else(|err| match err {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    Ok(provider.is_some())
}

/// The salt of the encrypted database `conn` is open on (`PRAGMA
/// cipher_salt`), which a rekey keeps.
pub(crate) fn salt(conn: &Connection) -> Result<[u8; super::keyspec::SALT_BYTES]> {
    let hex: String = conn.query_row("PRAGMA cipher_salt", [], |row| row.get(0))?;
    super::keyspec::parse_salt(&hex)
        .ok_or_else(|| Error::storage("SQLCipher reported a salt that is not 16 bytes in hex"))
}

/// Changes the key of the encrypted database `conn` is open on, in one
/// transaction (`PRAGMA rekey` rewrites every page; in WAL mode all of
/// them go to the WAL and the commit is atomic). The caller checks the
/// result with a new connection: SQLCipher ignores a failed commit.
pub(crate) fn rekey(conn: &Connection, new_key: &ConnectionKey) -> Result<()> {
    let sql = Zeroizing::new(format!(
        "PRAGMA rekey = {}",
        quoted(new_key.text()).as_str()
    ));
    conn.execute_batch(&sql)
        .map_err(|err| match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy,
            _ => Error::storage("SQLCipher could not change the key (nothing was changed)"),
        })
}

/// Copies the whole database `conn` is open on into the empty file
/// `target`, encrypted with `key` or plain without one, as of one snapshot:
/// `sqlcipher_export` inside one read transaction, then the schema version.
pub(crate) fn export(
    conn: &Connection,
    target: &Path,
    key: Option<&DatabaseKey>,
    user_version: i64,
) -> Result<()> {
    let Some(target) = target.to_str() else {
        return Err(Error::InvalidArgument(format!(
            "the backup path {} is not valid UTF-8",
            target.display()
        )));
    };
    let key_text = match key {
        Some(key) => key.sqlcipher_text(),
        None => Zeroizing::new(String::new()),
    };
    conn.execute(
        "ATTACH DATABASE ?1 AS chatcore_export KEY ?2",
        rusqlite::params![target, key_text.as_str()],
    )?;
    drop(key_text);
    let copied = (|| -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN")?;
        let copy = conn
            .query_row("SELECT sqlcipher_export('chatcore_export')", [], |_| Ok(()))
            .and_then(|()| {
                conn.pragma_update(Some("chatcore_export"), "user_version", user_version)
            });
        match copy {
            Ok(()) => conn.execute_batch("COMMIT"),
            Err(err) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(err)
            }
        }
    })();
    let detached = conn.execute_batch("DETACH DATABASE chatcore_export");
    copied?;
    detached?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLCipher's SQLite has every feature and pragma the store (and the
    /// full-text search on FTS5's trigram tokenizer) relies on.
    #[test]
    fn sqlcipher_brings_the_sqlite_features_the_store_relies_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("features.db");
        let key = ConnectionKey::for_file(&path, &DatabaseKey::Raw([5; 32])).unwrap();
        let conn = super::super::open::open_file(&path, Some(&key)).unwrap();
        let version: String = conn
            .query_row("SELECT sqlite_version()", [], |row| row.get(0))
            .unwrap();
        let cipher: String = conn
            .query_row("PRAGMA cipher_version", [], |row| row.get(0))
            .unwrap();
        println!("SQLite {version}, SQLCipher {cipher}");
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
        assert!(parts[0] == 3 && parts[1] >= 45, "SQLite {version}");
        assert!(is_encrypted(&conn).unwrap());
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 1048576;
             PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;
             CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL) STRICT;
             CREATE VIRTUAL TABLE f USING fts5(x, tokenize = 'trigram');",
        )
        .unwrap();
        let id: i64 = conn
            .query_row(
                "INSERT INTO t (x) VALUES ('hello') RETURNING id",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(id, 1);
        conn.execute("INSERT INTO f (x) VALUES ('encrypted search works')", [])
            .unwrap();
        let hits: i64 = conn
            .query_row("SELECT count(*) FROM f WHERE f MATCH 'rypt'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(hits, 1);
        let _: i64 = conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        let plain = super::super::open::open_file(&dir.path().join("plain.db"), None).unwrap();
        assert!(!is_encrypted(&plain).unwrap());
        // The immutable open (a read-only folder) is keyed too.
        let immutable = Connection::open_with_flags(
            format!("file:{}?immutable=1", path.display()),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        apply_key(&immutable, Some(&key)).unwrap();
        assert!(probe(&immutable, &path, Some(&key)).unwrap().is_ok());
    }

    #[test]
    fn quotes_are_doubled_in_the_key_literal() {
        assert_eq!(quoted("it's").as_str(), "'it''s'");
    }

    #[test]
    fn only_whole_pages_with_a_random_start_look_encrypted() {
        let salt: Vec<u8> = (0u8..16).map(|i| i.wrapping_mul(37)).collect();
        assert!(looks_encrypted(&salt, 4096));
        assert!(!looks_encrypted(&salt, 4000));
        assert!(!looks_encrypted(&[0x5a; 16], 8192));
    }
}
