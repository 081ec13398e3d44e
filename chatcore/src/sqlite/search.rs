//! [`SearchStorage`] on SQLite: two FTS5 indexes of `messages.text`, kept
//! in step by triggers on every insert, text update and delete (sends,
//! imports, bulk loads, edits, thread deletes by cascade). Since schema
//! step 7 new messages are indexed 64 at a time and a search first indexes
//! what waits (`search_queue`); changes to indexed messages go through the
//! index in their own transaction.
//!
//! - `messages_fts`: words, `unicode61` with diacritics and case folded
//!   (`remove_diacritics 2`), symbols (emoji) as word characters. Every
//!   message. No `prefix=` indexes: at 50,000 messages they made the index
//!   1.79× the text instead of 0.79× and its build 30 % slower, for no
//!   measurable gain on whole-word prefixes (`chatbench search`).
//! - `messages_trigram`: the `trigram` tokenizer (substrings of three or more
//!   characters), only for messages with a character of a script written
//!   without spaces (`search_query::NO_SPACE_RANGES`, tested by `GLOB` in
//!   the triggers behind a byte-length test, [`has_no_space`]), so
//!   Latin-only text pays nothing for it.
//!
//! Both are external-content tables over `messages` (the text is stored
//! once). A parsed query becomes `MATCH` expressions of quoted strings: a
//! term's text is always an FTS5 string literal, never syntax.

use super::SqliteTx;
use super::rows::{message_from_row_at, user_from_row_at};
use crate::error::Result;
use crate::search_query::{NO_SPACE_RANGES, SearchOrder, Term, TermKind};
use crate::storage::{SearchPlan, SearchRow, SearchStorage};
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row};

/// The `GLOB` pattern of text with a character of a no-space script.
pub(crate) fn no_space_glob() -> String {
    let class: String = NO_SPACE_RANGES
        .iter()
        .map(|(low, high)| format!("{low}-{high}"))
        .collect();
    format!("*[{class}]*")
}

/// SQL that is true when the text `column` has a character of a no-space
/// script. Every such character takes three or four bytes in UTF-8, so
/// text with fewer than two bytes more than characters (ASCII, most Latin
/// text) has none, and the slow `GLOB` (a class test at every position:
/// 3.5 µs a message) runs only on the rest. Built from constants only.
pub(crate) fn has_no_space(column: &str) -> String {
    format!(
        "(length(CAST({column} AS BLOB)) - length({column}) >= 2 AND {column} GLOB '{}')",
        no_space_glob()
    )
}

/// The schema of the search index (without filling it); see the module
/// documentation.
fn schema() -> String {
    let has = no_space_glob();
    let insert = insert_trigger();
    format!(
        "
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content='messages', content_rowid='id',
    tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M* So'\");
CREATE VIRTUAL TABLE messages_trigram USING fts5(
    text, content='messages', content_rowid='id',
    tokenize='trigram remove_diacritics 1');
{insert}CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_trigram(messages_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.text GLOB '{has}';
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_trigram(messages_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.text GLOB '{has}';
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    INSERT INTO messages_trigram(rowid, text)
        SELECT new.id, new.text WHERE new.text GLOB '{has}';
END;
"
    )
}

/// The trigger that indexes each new message.
fn insert_trigger() -> String {
    let has = no_space_glob();
    format!(
        "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    INSERT INTO messages_trigram(rowid, text)
        SELECT new.id, new.text WHERE new.text GLOB '{has}';
END;
"
    )
}

/// Whether opening the file at `path` will build the search index: it is
/// a store of a version before [`super::schema::SEARCH_VERSION`]. Reads
/// only; a missing or unreadable file is `false` (opening reports it).
pub(crate) fn file_needs_index(path: &std::path::Path) -> bool {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !path.exists() {
        return false;
    }
    match Connection::open_with_flags(path, flags)
        .and_then(|conn| conn.pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0)))
    {
        Ok(version) => version > 0 && version < super::schema::SEARCH_VERSION,
        Err(_) => false,
    }
}

/// The schema step that adds search: the tables, their triggers, and the
/// index of every message already stored.
pub(crate) fn create_index(conn: &Connection) -> Result<u64> {
    conn.execute_batch(&schema())?;
    fill(conn)
}

/// Indexes every message into the (empty or cleared) tables.
fn fill(conn: &Connection) -> Result<u64> {
    super::search_build::with_large_hash(conn, |conn| {
        conn.execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');")?;
        conn.execute(
            &format!(
                "INSERT INTO messages_trigram(rowid, text) SELECT id, text FROM messages WHERE {}",
                has_no_space("text")
            ),
            [],
        )?;
        Ok(())
    })?;
    let count: i64 = conn.query_row("SELECT count(*) FROM messages", [], |row| row.get(0))?;
    Ok(count.max(0) as u64)
}

/// An FTS5 string literal: the text in double quotes, inner quotes doubled.
/// Whatever the text holds, it is one string to the FTS5 parser.
fn literal(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// One term in FTS5 syntax.
fn fts5_term(term: &Term) -> String {
    match term.kind {
        TermKind::Prefix => format!("{}*", literal(&term.text)),
        TermKind::Phrase | TermKind::Substring => literal(&term.text),
    }
}

/// The terms a table answers: `messages_trigram` the substrings,
/// `messages_fts` the rest.
fn for_table(terms: &[Term], trigram: bool, excluded: bool) -> Vec<String> {
    terms
        .iter()
        .filter(|t| (t.kind == TermKind::Substring) == trigram && t.excluded == excluded)
        .map(fts5_term)
        .collect()
}

/// The statement and its parameters for one plan.
struct Statement {
    sql: String,
    /// Each `MATCH` parameter's name and expression.
    matches: Vec<(&'static str, String)>,
}

/// Builds the statement: the main table is the word index if any word must
/// match (else the trigram index); the other index filters by rowid. SQL
/// is assembled from fixed fragments only; every input is a parameter.
fn statement(plan: &SearchPlan<'_>) -> Statement {
    let terms = &plan.query.terms;
    let main_trigram = for_table(terms, false, false).is_empty();
    let (main, other) = match main_trigram {
        true => ("messages_trigram", "messages_fts"),
        false => ("messages_fts", "messages_trigram"),
    };
    let wanted = for_table(terms, main_trigram, false).join(" AND ");
    let mut main_match = format!("({wanted})");
    for excluded in for_table(terms, main_trigram, true) {
        main_match = format!("({main_match} NOT {excluded})");
    }
    let mut matches = vec![(":match", main_match)];
    let tokens = if main_trigram { 24 } else { 12 };
    // bm25 only where it orders: its first call counts every match of each
    // term (80,000 rows for a word in 8 % of a million messages: 8 ms of a
    // 13 ms newest-first page).
    let rank = match plan.order {
        SearchOrder::Relevance => format!("bm25({main})"),
        SearchOrder::Recent => "0.0".to_string(),
    };
    let mut sql = format!(
        "SELECT m.id, m.thread_id, m.sender_id, m.text, m.created_at, m.read_at,
                m.edited_at, m.deleted_at,
                u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                snippet({main}, 0, char(1), char(2), '…', {tokens}), {rank}
         FROM {main}
         JOIN messages m ON m.id = {main}.rowid
         JOIN members mb ON mb.thread_id = m.thread_id AND mb.user_id = :user
              AND m.id > coalesce(mb.cleared_through_id, 0)
         JOIN users u ON u.id = mb.other_id
         WHERE {main} MATCH :match"
    );
    let also = for_table(terms, !main_trigram, false);
    if !also.is_empty() {
        sql +=
            &format!(" AND {main}.rowid IN (SELECT rowid FROM {other} WHERE {other} MATCH :also)");
        matches.push((":also", also.join(" AND ")));
    }
    let not_also = for_table(terms, !main_trigram, true);
    if !not_also.is_empty() {
        sql += &format!(
            " AND {main}.rowid NOT IN (SELECT rowid FROM {other} WHERE {other} MATCH :not_also)"
        );
        matches.push((":not_also", not_also.join(" OR ")));
    }
    if plan.thread.is_some() {
        sql += " AND m.thread_id = :thread";
    }
    match (plan.order, plan.after.is_some()) {
        (SearchOrder::Relevance, true) => {
            sql += &format!(
                " AND (bm25({main}) > :rank OR (bm25({main}) = :rank AND {main}.rowid < :id))"
            )
        }
        (SearchOrder::Recent, true) => sql += &format!(" AND {main}.rowid < :id"),
        (_, false) => {}
    }
    sql += &match plan.order {
        SearchOrder::Relevance => format!(" ORDER BY bm25({main}), {main}.rowid DESC"),
        SearchOrder::Recent => format!(" ORDER BY {main}.rowid DESC"),
    };
    sql += " LIMIT :limit";
    Statement { sql, matches }
}

fn row_of(row: &Row<'_>, order: SearchOrder) -> rusqlite::Result<SearchRow> {
    Ok(SearchRow {
        message: message_from_row_at(row, 0)?,
        other: user_from_row_at(row, 8)?,
        snippet: row.get(14)?,
        rank: match order {
            SearchOrder::Relevance => row.get(15)?,
            SearchOrder::Recent => 0.0,
        },
    })
}

impl SearchStorage for SqliteTx<'_> {
    fn search(&mut self, plan: &SearchPlan<'_>) -> Result<Vec<SearchRow>> {
        let statement = statement(plan);
        let mut params: Vec<(&str, &dyn ToSql)> = vec![(":user", &plan.user)];
        for (name, text) in &statement.matches {
            params.push((name, text));
        }
        if let Some(thread) = &plan.thread {
            params.push((":thread", thread));
        }
        if let Some(after) = &plan.after {
            if plan.order == SearchOrder::Relevance {
                params.push((":rank", &after.rank));
            }
            params.push((":id", &after.id));
        }
        params.push((":limit", &plan.limit));
        let mut stmt = self.conn.prepare_cached(&statement.sql)?;
        let rows = stmt.query_map(params.as_slice(), |row| row_of(row, plan.order))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn rebuild_search_index(&mut self) -> Result<u64> {
        self.conn.execute_batch(
            "INSERT INTO messages_trigram(messages_trigram) VALUES ('delete-all');",
        )?;
        let indexed = fill(self.conn)?;
        super::search_queue::mark_all_indexed(self.conn)?;
        Ok(indexed)
    }

    fn search_pending(&mut self) -> Result<bool> {
        super::search_queue::pending(self.conn)
    }

    fn index_pending(&mut self) -> Result<u64> {
        super::search_queue::index_pending(self.conn)
    }

    fn check_search_index(&mut self) -> Result<Option<String>> {
        let mark = super::search_queue::mark(self.conn)?;
        let count =
            |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [mark], |row| row.get(0))?) };
        // Messages above the mark wait to be indexed (only where the file
        // cannot be written: `Store::verify_search_index` indexes them
        // first); then the word index is checked for its own consistency.
        let pending = super::search_queue::pending(self.conn)?;
        let messages = count("SELECT count(*) FROM messages WHERE id <= ?1")?;
        let words = count("SELECT count(*) FROM messages_fts_docsize WHERE ?1 IS NOT NULL")?;
        if messages != words {
            return Ok(Some(format!(
                "the word index holds {words} messages, the store {messages}"
            )));
        }
        let no_space = count(&format!(
            "SELECT count(*) FROM messages WHERE ?1 IS NOT NULL AND {}",
            has_no_space("text")
        ))?;
        let trigrams = count("SELECT count(*) FROM messages_trigram_docsize WHERE ?1 IS NOT NULL")?;
        if no_space != trigrams {
            return Ok(Some(format!(
                "the substring index holds {trigrams} messages, the store {no_space} with text in scripts without spaces"
            )));
        }
        // rank 1: also compare with the content table (every message);
        // rank 0 for the subset index: its own consistency.
        let words = match pending {
            false => "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)",
            true => "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 0)",
        };
        for check in [
            words,
            "INSERT INTO messages_trigram(messages_trigram, rank) VALUES ('integrity-check', 0)",
        ] {
            match self.conn.execute(check, []) {
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(err, message))
                    if err.code == rusqlite::ErrorCode::DatabaseCorrupt =>
                {
                    return Ok(Some(format!(
                        "the search index does not match the messages ({})",
                        message.unwrap_or_else(|| err.to_string())
                    )));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(None)
    }
}
