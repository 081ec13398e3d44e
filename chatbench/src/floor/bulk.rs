//! The bulk-load floors: bare SQL loading messages into a fresh store in
//! transactions, and chatcore's own `bulk_load` on the same data.

use super::{Floor, R, e};
use rusqlite::{TransactionBehavior, params};
use std::path::Path;

/// How a bulk-load floor runs.
#[derive(Debug, Clone, Copy)]
pub struct BulkVariant {
    /// Shown in the table.
    pub name: &'static str,
    /// `PRAGMA foreign_keys` during the load.
    pub foreign_keys: bool,
    /// Set the page cache back to the default after every transaction, as
    /// `Store::bulk_load` does.
    pub restore_cache: bool,
}

/// The bulk floor: `messages` messages into one fresh thread of a fresh
/// store, bare SQL in transactions of `chunk`, the counters written once per
/// transaction. Returns messages per second.
pub fn bulk(dir: &Path, variant: BulkVariant, messages: u64, chunk: u64, texts: &[&str]) -> R<f64> {
    let path = dir.join("bulk-floor.db");
    let (store, a, b, thread) = fresh_thread(&path)?;
    drop(store);
    let mut floor = Floor::open(&path)?;
    floor
        .conn
        .pragma_update(None, "foreign_keys", variant.foreign_keys)
        .map_err(e)?;
    let started = std::time::Instant::now();
    let mut loaded = 0u64;
    let base = chrono::Utc::now().timestamp_millis();
    while loaded < messages {
        let tx = floor
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        tx.pragma_update(None, "cache_size", -chatcore::BULK_CACHE_KIB)
            .map_err(e)?;
        let mut unread = 0i64;
        let mut last = 0i64;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (thread_id, sender_id, text, created_at, read_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(e)?;
            let end = (loaded + chunk).min(messages);
            for n in loaded..end {
                let (sender, at, read_at) = message_shape(n, messages, base, a, b);
                insert
                    .execute(params![
                        thread,
                        sender,
                        texts[n as usize % texts.len()],
                        at,
                        read_at
                    ])
                    .map_err(e)?;
                last = tx.last_insert_rowid();
                if read_at.is_none() {
                    unread += 1;
                }
            }
            loaded = end;
        }
        let at = base + loaded as i64;
        tx.execute(
            "UPDATE threads SET last_activity_at = ?2, last_message_id = ?3 WHERE id = ?1",
            params![thread, at, last],
        )
        .map_err(e)?;
        for (reader, added) in [(a, 0), (b, unread)] {
            tx.execute(
                "UPDATE members SET last_activity_at = ?3, unread = unread + ?4 WHERE user_id = ?1 AND thread_id = ?2",
                params![reader, thread, at, added],
            )
            .map_err(e)?;
        }
        tx.execute(
            "UPDATE users SET unread_total = unread_total + ?2 WHERE id = ?1",
            params![b, unread],
        )
        .map_err(e)?;
        if variant.restore_cache {
            tx.pragma_update(None, "cache_size", -2000).map_err(e)?;
        }
        tx.commit().map_err(e)?;
    }
    let rate = messages as f64 / started.elapsed().as_secs_f64();
    drop(floor);
    remove_db(&path);
    Ok(rate)
}

/// The same messages through `Store::bulk_load` into a fresh file, under the
/// same conditions as the floors. Returns messages per second.
pub fn bulk_chatcore(dir: &Path, messages: u64, chunk: u64, texts: &[&str]) -> R<f64> {
    let path = dir.join("bulk-chatcore.db");
    let (store, a, b, thread) = fresh_thread(&path)?;
    let started = std::time::Instant::now();
    let base = chrono::Utc::now().timestamp_millis();
    let mut loaded = 0u64;
    while loaded < messages {
        let end = (loaded + chunk).min(messages);
        store
            .bulk_load(|bulk| {
                for n in loaded..end {
                    let (sender, at, read_at) = message_shape(n, messages, base, a, b);
                    let millis =
                        |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
                    bulk.add_message(&chatcore::BulkMessage {
                        thread_id: chatcore::ThreadId(thread),
                        sender_id: chatcore::UserId(sender),
                        text: texts[n as usize % texts.len()],
                        created_at: millis(at),
                        read_at: read_at.map(millis),
                    })?;
                }
                Ok(())
            })
            .map_err(|e| format!("bulk chatcore: {e}"))?;
        loaded = end;
    }
    let rate = messages as f64 / started.elapsed().as_secs_f64();
    let report = store
        .verify_unread()
        .map_err(|e| format!("bulk chatcore: {e}"))?;
    if !report.mismatches.is_empty() {
        return Err(format!(
            "bulk chatcore: counters disagree: {:?}",
            report.mismatches
        ));
    }
    drop(store);
    remove_db(&path);
    Ok(rate)
}

/// Sender, time and read time of the `n`th of `messages` messages: senders
/// alternate in runs of 5, the last 50 stay unread (like the heavy thread).
fn message_shape(n: u64, messages: u64, base: i64, a: i64, b: i64) -> (i64, i64, Option<i64>) {
    let sender = if (n / 5).is_multiple_of(2) { a } else { b };
    let at = base + n as i64;
    let read_at = if n + 50 >= messages { None } else { Some(at) };
    (sender, at, read_at)
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A fresh store at `path` with two users and their thread.
fn fresh_thread(path: &Path) -> R<(chatcore::Store, i64, i64, i64)> {
    remove_db(path);
    // The schema is chatcore's; the two users and the thread are made by it too.
    let store = chatcore::Store::open(path).map_err(|e| format!("bulk floor: {e}"))?;
    let ((a, b, thread), _) = store
        .bulk_load(|bulk| {
            let a = bulk.add_user(&chatcore::BulkUser {
                email: "a@bench.example",
                username: "a",
                ..Default::default()
            })?;
            let b = bulk.add_user(&chatcore::BulkUser {
                email: "b@bench.example",
                username: "b",
                ..Default::default()
            })?;
            let (thread, _) = bulk.add_thread([a, b], chrono::Utc::now())?;
            Ok((a.0, b.0, thread.0))
        })
        .map_err(|e| format!("bulk floor: {e}"))?;
    Ok((store, a, b, thread))
}
