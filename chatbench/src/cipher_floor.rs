//! The floors under the encrypted rows (issue 18): what SQLCipher with its
//! default settings costs before chatcore does anything.
//!
//! - Pages per send: the WAL frames one send commits, counted on a side
//!   connection (a checkpoint of everything, the send, whose commit then
//!   starts the WAL over, and the WAL's frame count). Each frame is one
//!   page SQLCipher encrypts (AES-256-CBC) and authenticates (HMAC-SHA512).
//! - A bare commit of that many pages: bare rusqlite on a small encrypted
//!   (raw key) and a small plain file with the store's journal settings,
//!   one row per page, alternating in the same rounds. The difference is
//!   the page crypto that a commit of that many pages cannot avoid, which
//!   the report sets against what the 1.3× target leaves for it.

use crate::stats::Plan;
use crate::{R, Row, check, measure};
use rusqlite::Connection;
use std::path::Path;

/// Rows (one per page) in the bare commit's table.
const ROWS: i64 = 64;

fn sql(e: rusqlite::Error) -> String {
    format!("bare SQLite: {e}")
}

/// A bare connection to `path`, keyed with the SQLCipher key text `key`
/// (`x'…'`) when given.
fn connect(path: &Path, key: Option<&str>) -> R<Connection> {
    let conn = Connection::open(path).map_err(sql)?;
    if let Some(key) = key {
        conn.pragma_update(None, "key", key).map_err(sql)?;
    }
    Ok(conn)
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: whether it met another checkpoint,
/// the WAL's frames, and how many of them are now copied into the database.
fn checkpoint(conn: &Connection) -> R<(bool, i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(0)? != 0, row.get(1)?, row.get(2)?))
    })
    .map_err(sql)
}

/// Checkpoints until the whole WAL is copied (the store's background
/// checkpointer may hold the checkpoint for a while); `false` if it never is.
fn copy_all(conn: &Connection) -> R<bool> {
    for _ in 0..1_000 {
        let (busy, frames, copied) = checkpoint(conn)?;
        if !busy && frames == copied {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Ok(false)
}

/// The median number of pages (WAL frames) one `send` commits to the
/// store at `path`, over 21 sends.
pub fn pages_per_send(path: &Path, key: Option<&str>, send: &mut dyn FnMut() -> R<()>) -> R<i64> {
    let conn = connect(path, key)?;
    let mut counts = Vec::new();
    for _ in 0..63 {
        if counts.len() == 21 {
            break;
        }
        // Only when everything was copied does the send's commit start the
        // WAL over, so that its frames are the WAL's.
        let copied = copy_all(&conn)?;
        send()?;
        let (_, after, _) = checkpoint(&conn)?;
        if copied && after > 0 {
            counts.push(after);
        }
    }
    check(counts.len() >= 11, || {
        format!("the WAL started over for only {} sends", counts.len())
    })?;
    counts.sort_unstable();
    Ok(counts[counts.len() / 2])
}

/// A bare file at `path` (keyed with `key` if given) with the store's
/// journal settings and a table of [`ROWS`] rows, one per page.
fn bare_file(path: &Path, key: Option<&str>) -> R<Connection> {
    let conn = connect(path, key)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;
         CREATE TABLE pages (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad BLOB NOT NULL);",
    )
    .map_err(sql)?;
    // 3,000 bytes: one row fills a 4 KiB page, and a second does not fit.
    // `n` keeps a 4-byte encoding, so an update never moves a row.
    conn.execute(
        "WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ?1)
         INSERT INTO pages (id, n, pad) SELECT x, 1000000, zeroblob(3000) FROM i",
        [ROWS],
    )
    .map_err(sql)?;
    Ok(conn)
}

/// One commit that changes the first `pages` rows, each on its own page.
fn commit_pages(conn: &Connection, pages: i64) -> R<()> {
    let changed = conn
        .prepare_cached("UPDATE pages SET n = n + 1 WHERE id <= ?1")
        .and_then(|mut update| update.execute([pages]))
        .map_err(sql)?;
    check(changed as i64 == pages, || {
        format!("the bare commit changed {changed} rows, not {pages}")
    })
}

/// The row "bare commit of `pages` pages": SQLCipher (raw key) against
/// plain SQLite, no chatcore in either.
pub fn bare_commit_row(dir: &Path, plan: Plan, pages: i64) -> R<Row> {
    let pages = pages.clamp(1, ROWS);
    let key = format!("x'{}'", "42".repeat(32));
    let encrypted = bare_file(&dir.join("floor-encrypted.db"), Some(&key))?;
    let plain = bare_file(&dir.join("floor-plain.db"), None)?;
    measure(
        &format!("floor: bare commit of {pages} pages (no chatcore)"),
        "bare SQLCipher (raw key) against bare SQLite",
        plan,
        &mut || commit_pages(&encrypted, pages),
        Some(&mut || commit_pages(&plain, pages)),
        "plain",
    )
}
