//! Bulk-insert variants on bare rusqlite over chatcore's schema, to find
//! what bounds the bulk rate (a diagnostic, not part of the benchmark):
//! `cargo run --release -p chatbench --example bulk_variants -- 1000000`.
use rusqlite::{Connection, TransactionBehavior, params};
use std::time::Instant;

fn run(
    name: &str,
    messages: u64,
    chunk: u64,
    setup: &str,
    autoincrement: bool,
) -> rusqlite::Result<()> {
    let dir = tempfile::tempdir().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let path = dir.path().join("v.db");
    drop(chatcore::Store::open(&path).map_err(|_| rusqlite::Error::InvalidQuery)?);
    let conn = Connection::open(&path)?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         INSERT INTO users (email, email_key, username, username_key, created_at) VALUES ('a@x.io','a@x.io','a','a',0),('b@x.io','b@x.io','b','b',0);
         INSERT INTO threads (user_low, user_high, created_at, last_activity_at) VALUES (1, 2, 0, 0);",
    )?;
    if !autoincrement {
        conn.execute_batch(
            "DROP TABLE messages;
             CREATE TABLE messages (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
               sender_id INTEGER NOT NULL REFERENCES users(id), text TEXT NOT NULL, created_at INTEGER NOT NULL, read_at INTEGER) STRICT;
             CREATE INDEX messages_thread ON messages(thread_id, id);",
        )?;
    }
    conn.execute_batch(setup)?;
    let text =
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt";
    let started = Instant::now();
    let mut conn = conn;
    let mut loaded = 0;
    while loaded < messages {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (thread_id, sender_id, text, created_at, read_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for n in loaded..(loaded + chunk).min(messages) {
                insert.execute(params![
                    1,
                    1 + ((n / 5) % 2) as i64,
                    &text[..20 + (n % 60) as usize],
                    n as i64,
                    n as i64
                ])?;
            }
        }
        tx.commit()?;
        loaded = (loaded + chunk).min(messages);
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let secs = started.elapsed().as_secs_f64();
    println!("{name:<58} {:>8.0} msgs/s", messages as f64 / secs);
    Ok(())
}

fn main() -> rusqlite::Result<()> {
    let messages: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let big = "PRAGMA cache_size = -65536;";
    run(
        "baseline: FKs on, 64 MiB cache, 100k tx, autoincrement",
        messages,
        100_000,
        &format!("PRAGMA foreign_keys = ON; {big}"),
        true,
    )?;
    run("FKs off", messages, 100_000, big, true)?;
    run("FKs off, no AUTOINCREMENT", messages, 100_000, big, false)?;
    run(
        "FKs off, no AUTOINCREMENT, no auto-checkpoint",
        messages,
        100_000,
        &format!("{big} PRAGMA wal_autocheckpoint = 0;"),
        false,
    )?;
    run(
        "FKs on, autoincrement, no auto-checkpoint",
        messages,
        100_000,
        &format!("PRAGMA foreign_keys = ON; {big} PRAGMA wal_autocheckpoint = 0;"),
        true,
    )?;
    run(
        "FKs on, autoincrement, 1M tx",
        messages,
        1_000_000,
        &format!("PRAGMA foreign_keys = ON; {big}"),
        true,
    )?;
    run(
        "FKs on, default 2 MiB cache",
        messages,
        100_000,
        "PRAGMA foreign_keys = ON;",
        true,
    )?;
    Ok(())
}
