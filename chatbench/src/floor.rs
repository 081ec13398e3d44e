//! The floor: the minimal hand-written rusqlite SQL doing each operation's
//! work on the same file, with the same pragmas as chatcore (WAL,
//! synchronous=NORMAL, foreign keys, QPSG) and `prepare_cached`, one
//! statement per step and the same transaction shape, but no session check,
//! no rule checks beyond what the SQL itself needs, and no model structs.

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;

mod bulk;
pub use bulk::{BulkVariant, bulk, bulk_chatcore};

pub type R<T> = Result<T, String>;

fn e(err: rusqlite::Error) -> String {
    format!("floor: {err}")
}

/// One plain connection.
pub struct Floor {
    pub conn: Connection,
}

/// What a history or inbox row is read into: owned values, as the API's
/// structs hold them.
type MessageRow = (i64, i64, i64, String, i64, Option<i64>);

impl Floor {
    pub fn open(path: &Path) -> R<Floor> {
        let conn = Connection::open(path).map_err(e)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(e)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(e)?;
        conn.set_prepared_statement_cache_capacity(64);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .map_err(e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!("floor: journal_mode is {mode}, expected wal"));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(e)?;
        Ok(Floor { conn })
    }

    /// Send: read the thread's pair, insert, move the thread's activity,
    /// both members' activity and the recipient's counters.
    pub fn send(&mut self, thread: i64, sender: i64, text: &str, now: i64) -> R<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let (low, high, activity): (i64, i64, i64) = tx
            .prepare_cached(
                "SELECT user_low, user_high, last_activity_at FROM threads WHERE id = ?1",
            )
            .map_err(e)?
            .query_row([thread], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(e)?;
        let recipient = if sender == low { high } else { low };
        let activity = activity.max(now);
        tx.prepare_cached(
            "INSERT INTO messages (thread_id, sender_id, text, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e)?
        .execute(params![thread, sender, text, now])
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        tx.prepare_cached(
            "UPDATE threads SET last_activity_at = ?2, last_message_id = ?3 WHERE id = ?1",
        )
        .map_err(e)?
        .execute(params![thread, activity, id])
        .map_err(e)?;
        tx.prepare_cached(
            "UPDATE members SET last_activity_at = ?3 WHERE user_id = ?1 AND thread_id = ?2",
        )
        .map_err(e)?
        .execute(params![sender, thread, activity])
        .map_err(e)?;
        tx.prepare_cached(
            "UPDATE members SET last_activity_at = ?3, unread = unread + 1 WHERE user_id = ?1 AND thread_id = ?2",
        )
        .map_err(e)?
        .execute(params![recipient, thread, activity])
        .map_err(e)?;
        tx.prepare_cached("UPDATE users SET unread_total = unread_total + 1 WHERE id = ?1")
            .map_err(e)?
            .execute([recipient])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Create-or-get: look the ordered pair up; if missing, insert the
    /// thread and its two member rows in one IMMEDIATE transaction.
    pub fn create_or_get(&mut self, a: i64, b: i64, now: i64) -> R<(i64, bool)> {
        let (low, high) = (a.min(b), a.max(b));
        let find = "SELECT id FROM threads WHERE user_low = ?1 AND user_high = ?2";
        let found: Option<i64> = self
            .conn
            .prepare_cached(find)
            .map_err(e)?
            .query_row([low, high], |row| row.get(0))
            .optional()
            .map_err(e)?;
        if let Some(id) = found {
            return Ok((id, false));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        tx.prepare_cached(
            "INSERT INTO threads (user_low, user_high, created_at, last_activity_at) VALUES (?1, ?2, ?3, ?3)",
        )
        .map_err(e)?
        .execute(params![low, high, now])
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        let mut member = tx
            .prepare_cached(
                "INSERT INTO members (user_id, thread_id, other_id, last_activity_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(e)?;
        member.execute(params![low, id, high, now]).map_err(e)?;
        member.execute(params![high, id, low, now]).map_err(e)?;
        drop(member);
        tx.commit().map_err(e)?;
        Ok((id, true))
    }

    /// The first inbox page: one range scan of the member index joined to
    /// the thread, the other user and the last message.
    pub fn inbox(&mut self, user: i64, limit: u32) -> R<usize> {
        let tx = self.conn.transaction().map_err(e)?;
        let rows = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT t.id, t.user_low, t.user_high, t.created_at, t.last_activity_at,
                        m.last_activity_at, m.unread,
                        u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                        msg.id, msg.thread_id, msg.sender_id, msg.text, msg.created_at, msg.read_at
                 FROM members m
                 JOIN threads t ON t.id = m.thread_id
                 JOIN users u ON u.id = m.other_id
                 LEFT JOIN messages msg ON msg.id = t.last_message_id
                 WHERE m.user_id = ?1 AND (m.last_activity_at, m.thread_id) < (?2, ?3)
                 ORDER BY m.last_activity_at DESC, m.thread_id DESC
                 LIMIT ?4",
                )
                .map_err(e)?;
            let rows = stmt
                .query_map(params![user, i64::MAX, i64::MAX, limit + 1], |row| {
                    let head: (i64, i64, i64, i64, i64, i64, i64) = (
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                    );
                    let other: (i64, String, String, String, String, i64) = (
                        row.get(7)?,
                        row.get(8)?,
                        row.get(9)?,
                        row.get(10)?,
                        row.get(11)?,
                        row.get(12)?,
                    );
                    let last: Option<MessageRow> = match row.get::<_, Option<i64>>(13)? {
                        Some(id) => Some((
                            id,
                            row.get(14)?,
                            row.get(15)?,
                            row.get(16)?,
                            row.get(17)?,
                            row.get(18)?,
                        )),
                        None => None,
                    };
                    Ok((head, other, last))
                })
                .map_err(e)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(e)?
        };
        tx.commit().map_err(e)?;
        Ok(rows.len().min(limit as usize))
    }

    /// A history page of `limit` messages with ids below `before`, keyset.
    pub fn history(&mut self, thread: i64, before: i64, limit: u32) -> R<Vec<MessageRow>> {
        let tx = self.conn.transaction().map_err(e)?;
        let rows = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, thread_id, sender_id, text, created_at, read_at
                     FROM messages WHERE thread_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                )
                .map_err(e)?;
            let rows = stmt
                .query_map(params![thread, before, limit + 1], message_row)
                .map_err(e)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(e)?
        };
        tx.commit().map_err(e)?;
        Ok(rows)
    }

    /// The same page by `OFFSET`, as the original service paged.
    pub fn history_offset(&mut self, thread: i64, offset: u64, limit: u32) -> R<Vec<MessageRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, thread_id, sender_id, text, created_at, read_at
                 FROM messages WHERE thread_id = ?1 ORDER BY id DESC LIMIT ?3 OFFSET ?2",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map(params![thread, offset as i64, limit], message_row)
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    /// Mark one message read: read it and its thread, set read_at, take one
    /// off the reader's two counters.
    pub fn mark_read(&mut self, message: i64, reader: i64, now: i64) -> R<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let (thread, sender, read_at): (i64, i64, Option<i64>) = tx
            .prepare_cached("SELECT thread_id, sender_id, read_at FROM messages WHERE id = ?1")
            .map_err(e)?
            .query_row([message], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(e)?;
        let (low, high): (i64, i64) = tx
            .prepare_cached("SELECT user_low, user_high FROM threads WHERE id = ?1")
            .map_err(e)?
            .query_row([thread], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(e)?;
        if sender == reader || (reader != low && reader != high) {
            return Err("floor: not the recipient".to_string());
        }
        if read_at.is_none() {
            tx.prepare_cached("UPDATE messages SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL")
                .map_err(e)?
                .execute(params![message, now])
                .map_err(e)?;
            tx.prepare_cached(
                "UPDATE members SET unread = unread - 1 WHERE user_id = ?1 AND thread_id = ?2",
            )
            .map_err(e)?
            .execute(params![reader, thread])
            .map_err(e)?;
            tx.prepare_cached("UPDATE users SET unread_total = unread_total - 1 WHERE id = ?1")
                .map_err(e)?
                .execute([reader])
                .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(())
    }

    /// Mark a thread read: only the backlog above the member's read mark.
    pub fn mark_thread_read(&mut self, thread: i64, reader: i64, now: i64) -> R<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let (low, high, last): (i64, i64, Option<i64>) = tx
            .prepare_cached(
                "SELECT user_low, user_high, last_message_id FROM threads WHERE id = ?1",
            )
            .map_err(e)?
            .query_row([thread], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(e)?;
        let sender = if reader == low { high } else { low };
        let Some(last) = last else {
            return Ok(0);
        };
        let last_read: i64 = tx
            .prepare_cached(
                "SELECT last_read_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
            )
            .map_err(e)?
            .query_row(params![reader, thread], |row| row.get(0))
            .map_err(e)?;
        if last <= last_read {
            return Ok(0);
        }
        let marked = tx
            .prepare_cached(
                "UPDATE messages SET read_at = ?5
                 WHERE thread_id = ?1 AND id > ?2 AND id <= ?3 AND sender_id = ?4 AND read_at IS NULL",
            )
            .map_err(e)?
            .execute(params![thread, last_read, last, sender, now])
            .map_err(e)? as i64;
        tx.prepare_cached(
            "UPDATE members SET last_read_id = ?3, unread = unread - ?4 WHERE user_id = ?1 AND thread_id = ?2",
        )
        .map_err(e)?
        .execute(params![reader, thread, last, marked])
        .map_err(e)?;
        tx.prepare_cached("UPDATE users SET unread_total = unread_total - ?2 WHERE id = ?1")
            .map_err(e)?
            .execute(params![reader, marked])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(marked as u64)
    }

    /// The unread total: one counter.
    pub fn unread(&mut self, user: i64) -> R<i64> {
        self.conn
            .prepare_cached("SELECT unread_total FROM users WHERE id = ?1")
            .map_err(e)?
            .query_row([user], |row| row.get(0))
            .map_err(e)
    }
}

/// The unread count's breakdown, on the floor's connection: the same work
/// in chatcore's previous shape (a transaction) and in its current one (one
/// statement).
impl Floor {
    /// The newest session's token hash of a user (to check sessions as
    /// chatcore does without knowing the token's hash function).
    pub fn token_hash(&mut self, user: i64) -> R<Vec<u8>> {
        self.conn
            .query_row(
                "SELECT token_hash FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC LIMIT 1",
                [user],
                |row| row.get(0),
            )
            .map_err(e)
    }

    /// chatcore's shape before the change: a deferred transaction
    /// (rusqlite's, whose BEGIN and COMMIT are prepared anew each time), the
    /// session check, the counter.
    pub fn unread_in_transaction(&mut self, token_hash: &[u8], now: i64) -> R<i64> {
        let tx = self.conn.transaction().map_err(e)?;
        let (user, expires): (i64, i64) = tx
            .prepare_cached(
                "SELECT id, user_id, last_used_at, expires_at FROM sessions WHERE token_hash = ?1",
            )
            .map_err(e)?
            .query_row([token_hash], |row| Ok((row.get(1)?, row.get(3)?)))
            .map_err(e)?;
        if now >= expires {
            return Err("floor: session expired".into());
        }
        let total = tx
            .prepare_cached("SELECT unread_total FROM users WHERE id = ?1")
            .map_err(e)?
            .query_row([user], |row| row.get(0))
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(total)
    }

    /// chatcore's shape since the change: the session check and the
    /// counter in one statement (chatcore's own SQL), no explicit transaction
    /// (one statement is one snapshot); the expiry is checked in Rust.
    pub fn unread_one_statement(&mut self, token_hash: &[u8], now: i64) -> R<i64> {
        let (expires, total): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT s.expires_at, u.unread_total
                 FROM sessions s CROSS JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
            )
            .map_err(e)?
            .query_row([token_hash], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(e)?;
        if now >= expires {
            return Err("floor: session expired".into());
        }
        Ok(total)
    }
}

fn message_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}
