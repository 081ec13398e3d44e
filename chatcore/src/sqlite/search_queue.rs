//! Schema step 7 ([`super::schema::SEARCH_QUEUE_VERSION`]): new messages
//! are indexed [`BATCH`] at a time instead of one FTS5 segment per commit.
//!
//! FTS5 writes a new segment (a leaf, its `_idx` entry, the structure and
//! averages records, the document size) and does a share of segment merges
//! in every transaction that indexes anything: about six more pages per
//! send, which made a send 2.5–3× the bare send at a million messages.
//! Indexed 64 at a time, the same work is shared by 64 sends.
//!
//! One row, `search_state.indexed_through` (the mark, `W`), says what is
//! indexed: every message with an id at or below it, and none above it.
//! Messages above it are pending. All of this lives in the schema, so every
//! writer (this library, a bulk load, an import, a raw SQL tool) keeps it:
//!
//! - the insert trigger indexes a row at or below the mark at once (an
//!   import's explicit id), leaves a new row above it pending, and when a
//!   new id reaches `W + BATCH` indexes every pending message and moves the
//!   mark to the highest id (ids only grow: `AUTOINCREMENT`);
//! - the delete and update triggers touch the index only for rows at or
//!   below the mark (a pending row is not in it; the flush indexes its text
//!   as it is then);
//! - a search, and the index check, first index whatever is pending
//!   ([`index_pending`], in a write transaction of their own), so a search
//!   sees every message committed before it; the mark and the pending rows
//!   are in the same file and commit together, so after a crash (kill -9)
//!   the next search indexes what was pending: nothing acknowledged is ever
//!   missing.

use super::search::has_no_space;
use crate::error::Result;
use rusqlite::Connection;

/// How many pending messages a send indexes at once (at most `BATCH - 1`
/// are ever left pending by sends).
pub(crate) const BATCH: i64 = 64;

/// The mark, as SQL.
const MARK: &str = "(SELECT indexed_through FROM search_state)";

/// The insert trigger; see the module documentation.
pub(crate) fn insert_trigger() -> String {
    let has_new = has_no_space("new.text");
    let has = has_no_space("text");
    format!(
        "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
    WHEN new.id <= {MARK} OR new.id >= {MARK} + {BATCH} BEGIN
    INSERT INTO messages_fts(rowid, text) SELECT new.id, new.text WHERE new.id <= {MARK};
    INSERT INTO messages_trigram(rowid, text)
        SELECT new.id, new.text WHERE new.id <= {MARK} AND {has_new};
    INSERT INTO messages_fts(rowid, text)
        SELECT id, text FROM messages WHERE id > {MARK} AND new.id >= {MARK} + {BATCH};
    INSERT INTO messages_trigram(rowid, text)
        SELECT id, text FROM messages
        WHERE id > {MARK} AND new.id >= {MARK} + {BATCH} AND {has};
    UPDATE search_state
        SET indexed_through = max(indexed_through, (SELECT max(id) FROM messages))
        WHERE new.id >= indexed_through + {BATCH};
END;
"
    )
}

/// Step 7 on a store at step 6: the mark at the highest id (a step-6 index
/// holds every message), and the three triggers replaced.
pub(crate) fn upgrade(conn: &Connection) -> Result<()> {
    let has_old = has_no_space("old.text");
    let has_new = has_no_space("new.text");
    let insert = insert_trigger();
    conn.execute_batch(&format!(
        "
CREATE TABLE search_state (
    id              INTEGER PRIMARY KEY CHECK (id = 0),
    indexed_through INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (id, indexed_through)
    SELECT 0, coalesce(max(id), 0) FROM messages;
DROP TRIGGER IF EXISTS messages_search_insert;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_update;
{insert}CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
    WHEN old.id <= {MARK} BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_trigram(messages_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE {has_old};
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages
    WHEN old.id <= {MARK} BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_trigram(messages_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE {has_old};
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    INSERT INTO messages_trigram(rowid, text) SELECT new.id, new.text WHERE {has_new};
END;
"
    ))?;
    Ok(())
}

/// The mark: every message at or below it is indexed, none above it.
pub(crate) fn mark(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!("SELECT {MARK}"))?
        .query_row([], |row| row.get(0))?)
}

/// Whether any message waits to be indexed (one seek at the end of the
/// messages' rowid tree).
pub(crate) fn pending(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT coalesce((SELECT max(id) FROM messages), 0) > {MARK}"
        ))?
        .query_row([], |row| row.get(0))?)
}

/// Indexes every pending message, in one statement per index, and moves
/// the mark to the highest id; returns how many messages it indexed.
pub(crate) fn index_pending(conn: &Connection) -> Result<u64> {
    let indexed = conn
        .prepare_cached(&format!(
            "INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages WHERE id > {MARK}"
        ))?
        .execute([])?;
    conn.prepare_cached(&format!(
        "INSERT INTO messages_trigram(rowid, text)
         SELECT id, text FROM messages WHERE id > {MARK} AND {}",
        has_no_space("text")
    ))?
    .execute([])?;
    mark_all_indexed(conn)?;
    Ok(indexed as u64)
}

/// Moves the mark to the highest message id (after the index was made to
/// hold every message).
pub(crate) fn mark_all_indexed(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "UPDATE search_state SET indexed_through =
             max(indexed_through, coalesce((SELECT max(id) FROM messages), 0))",
    )?
    .execute([])?;
    Ok(())
}

/// A bulk load starts: its messages are indexed when it ends, all at once
/// ([`resume_indexing`]). Drops the insert trigger inside the bulk load's
/// transaction (a failed load rolls the drop back).
pub(crate) fn suspend_indexing(conn: &Connection) -> Result<()> {
    conn.execute_batch("DROP TRIGGER messages_search_insert;")?;
    Ok(())
}

/// A bulk load ends: indexes every pending message (the load's and any
/// left by sends before it) and puts the insert trigger back, in the same
/// transaction.
pub(crate) fn resume_indexing(conn: &Connection) -> Result<()> {
    super::search_build::with_large_hash(conn, index_pending)?;
    conn.execute_batch(&insert_trigger())?;
    Ok(())
}

/// A store closing indexes what its sends left pending, if it can without
/// waiting (no other writer; a writable file): a file closed normally has
/// nothing pending, and a read-only opener of it sees every message. What
/// a crash leaves pending is indexed by the next search or check.
impl Drop for super::pool::Backend {
    fn drop(&mut self) {
        use crate::storage::{Backend as _, Mode};
        if self.path().is_none() || self.is_read_only() {
            return;
        }
        // Nothing to report from a drop: a failure leaves the messages
        // pending, which the next search indexes.
        let _ = self.run(Mode::WriteIfFree, &mut |tx| {
            if tx.search_pending()? {
                tx.index_pending()?;
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::search::has_no_space;
    use crate::search_query::{NO_SPACE_RANGES, is_no_space_char};
    use rusqlite::Connection;

    /// The byte-length test in front of the `GLOB` only skips text that
    /// cannot match: every no-space character takes 3 or more bytes.
    #[test]
    fn the_byte_length_test_never_skips_a_no_space_character() {
        for &(low, _) in NO_SPACE_RANGES {
            assert!(low.len_utf8() >= 3, "{low:?}");
        }
        let conn = Connection::open_in_memory().unwrap();
        let sql = format!("SELECT {}", has_no_space("?1"));
        for text in [
            "plain ascii",
            "café crème",
            "東京",
            "a東",
            "ไทย",
            "مرحبا بك",
            "🍕 pizza",
            "ÉÉÉÉ",
            "ｱ",
            "𠀀",
            "",
        ] {
            let found: bool = conn.query_row(&sql, [text], |row| row.get(0)).unwrap();
            assert_eq!(found, text.chars().any(is_no_space_char), "{text:?}");
        }
    }
}
