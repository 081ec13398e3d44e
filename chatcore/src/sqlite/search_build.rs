//! Building much of the search index at once (a bulk load's messages, a
//! rebuild, the step-6 migration): each FTS5 table gathers the new entries
//! in an in-memory hash and writes it out as a new segment whenever it
//! passes `hashsize` (1 MiB by default), so 100,000 messages became dozens
//! of small segments that FTS5 then merged again in the same transaction.
//! With the hash raised to [`BUILD_HASH_BYTES`] for the build, each table
//! writes a few larger segments and merges less. What a search finds does
//! not change: the same entries, in fewer segments.
//!
//! Measured at 1M messages (`chatbench search`, four pairs of alternating
//! builds on the shared machine): with 8 MiB the rebuild was faster in
//! three pairs (8–38 %) and even in the fourth; the bulk load with indexing
//! was faster in two pairs and slower in two (within the machine's noise).
//! 64 MiB made both slower (the bulk 5–30 %, the rebuild 35–45 %): a hash
//! that large no longer fits the CPU's caches, and every token's insert
//! misses them.
//!
//! `hashsize` is an FTS5 setting kept in the table's `_config` rows: it is
//! raised inside the build's transaction and put back to FTS5's default
//! (its row removed, as on a store that never set it) before the
//! transaction ends, so a store never keeps the raised value.

use crate::error::Result;
use rusqlite::Connection;

/// The FTS5 hash size during a build (8 MiB; see the module documentation
/// for why not more).
pub(crate) const BUILD_HASH_BYTES: i64 = 8 * 1024 * 1024;

/// FTS5's own default `hashsize`.
const DEFAULT_HASH_BYTES: i64 = 1024 * 1024;

/// The search index's FTS5 tables.
const TABLES: [&str; 2] = ["messages_fts", "messages_trigram"];

/// Runs `build` with both tables' hash raised to [`BUILD_HASH_BYTES`], then
/// writes what the hashes hold and sets them back, whether `build`
/// succeeded or not (a failed build's transaction rolls back anyway).
pub(crate) fn with_large_hash<T>(
    conn: &Connection,
    build: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    set_hash(conn, BUILD_HASH_BYTES)?;
    let built = build(conn);
    // Setting an FTS5 option first writes the table's pending entries out,
    // as one segment.
    let restored = set_hash(conn, DEFAULT_HASH_BYTES).and_then(|()| forget_hash(conn));
    let value = built?;
    restored?;
    Ok(value)
}

fn set_hash(conn: &Connection, bytes: i64) -> Result<()> {
    for table in TABLES {
        conn.prepare_cached(&format!(
            "INSERT INTO {table}({table}, rank) VALUES ('hashsize', ?1)"
        ))?
        .execute([bytes])?;
    }
    Ok(())
}

/// Removes the `hashsize` rows, leaving the tables as if it was never set
/// (the value in use is already the default).
fn forget_hash(conn: &Connection) -> Result<()> {
    for table in TABLES {
        conn.prepare_cached(&format!("DELETE FROM {table}_config WHERE k = 'hashsize'"))?
            .execute([])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// A store with the search tables, in memory.
    fn store() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
             CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id');
             CREATE VIRTUAL TABLE messages_trigram USING fts5(text, content='messages', content_rowid='id', tokenize='trigram');
             INSERT INTO messages (id, text) VALUES (1, 'meeting at the café'), (2, '東京タワー');",
        )
        .unwrap();
        conn
    }

    fn hash_rows(conn: &Connection) -> Vec<(String, i64)> {
        let mut rows = Vec::new();
        for table in TABLES {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT '{table}', v FROM {table}_config WHERE k = 'hashsize'"
                ))
                .unwrap();
            let found = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap();
            rows.extend(found.map(Result::unwrap));
        }
        rows
    }

    fn count(conn: &Connection, table: &str, query: &str) -> i64 {
        conn.query_row(
            &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
            [query],
            |row| row.get(0),
        )
        .unwrap()
    }

    #[test]
    fn the_build_runs_with_the_large_hash_and_the_store_does_not_keep_it() {
        let conn = store();
        let during = with_large_hash(&conn, |conn| {
            conn.execute_batch(
                "INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages;
                 INSERT INTO messages_trigram(rowid, text) SELECT id, text FROM messages;",
            )?;
            Ok(hash_rows(conn))
        })
        .unwrap();
        assert_eq!(
            during,
            vec![
                ("messages_fts".to_string(), BUILD_HASH_BYTES),
                ("messages_trigram".to_string(), BUILD_HASH_BYTES),
            ]
        );
        assert_eq!(hash_rows(&conn), vec![]);
        // What was built is found, as without the setting.
        assert_eq!(count(&conn, "messages_fts", "meeting"), 1);
        assert_eq!(count(&conn, "messages_trigram", "京タワ"), 1);
        conn.execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check');")
            .unwrap();
    }

    #[test]
    fn a_failed_build_sets_the_hash_back_too_and_returns_its_error() {
        let conn = store();
        let failed = with_large_hash(&conn, |_| -> Result<()> {
            Err(Error::Internal("the build failed".into()))
        });
        assert!(matches!(failed, Err(Error::Internal(_))), "{failed:?}");
        assert_eq!(hash_rows(&conn), vec![]);
    }
}
