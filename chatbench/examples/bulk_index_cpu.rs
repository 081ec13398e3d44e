//! The bulk load with indexing (issue 16) by the CPU time of the loading
//! thread, not the wall clock: on a shared machine other processes' load
//! swings the wall-clock rate by ±30 % between runs, while CPU time moves
//! much less, so two builds can be compared run against run.
//!
//! `cargo run --release -p chatbench --example bulk_index_cpu [MESSAGES]`
//! (default 400,000, in 100,000-message `bulk_load` transactions, texts of
//! 4–16 words drawn Zipf-like from 4,000): prints the load's rate by CPU
//! time and by wall clock, then `rebuild_search_index`'s by CPU time, and
//! the size of the index.
use chatcore::{BulkMessage, BulkUser, Store};
use std::time::Instant;

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`).
fn cpu_ns() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}

fn main() {
    let total: u64 = std::env::args()
        .nth(1)
        .map_or(400_000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("b.db")).unwrap();
    let hash = store.hash_password_for_import("bench-password").unwrap();
    let now = chrono::Utc::now();
    let (threads, _) = store
        .bulk_load(|bulk| {
            let a = bulk.add_user(&BulkUser {
                email: "a@x.example",
                username: "aa",
                password_hash: Some(&hash),
                ..Default::default()
            })?;
            let b = bulk.add_user(&BulkUser {
                email: "b@x.example",
                username: "bb",
                password_hash: Some(&hash),
                ..Default::default()
            })?;
            Ok((bulk.add_thread([a, b], now)?.0, [a, b]))
        })
        .unwrap();
    let (thread, pair) = threads;
    let words: Vec<String> = (0..4000)
        .map(|i| format!("w{}x{}", i * 7919 % 4001, i % 13))
        .collect();
    let mut seed: u64 = 7;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut cpu = 0.0;
    let mut wall = 0.0;
    let mut loaded = 0;
    while loaded < total {
        let chunk: Vec<String> = (0..100_000)
            .map(|_| {
                let n = 4 + rnd() % 13;
                (0..n)
                    .map(|_| {
                        let u = (rnd() % 1_000_000) as f64 / 1_000_000.0;
                        let i = ((4000f64).powf(u) as usize).min(3999);
                        words[i].as_str()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let c0 = cpu_ns();
        let t0 = Instant::now();
        store
            .bulk_load(|bulk| {
                for (k, text) in chunk.iter().enumerate() {
                    bulk.add_message(&BulkMessage {
                        thread_id: thread,
                        sender_id: pair[k % 2],
                        text,
                        created_at: now,
                        read_at: Some(now),
                    })?;
                }
                Ok(())
            })
            .unwrap();
        cpu += cpu_ns() - c0;
        wall += t0.elapsed().as_nanos() as f64;
        loaded += 100_000;
    }
    let c0 = cpu_ns();
    store.rebuild_search_index().unwrap();
    println!(
        "rebuild cpu {:.0} msgs/s",
        total as f64 / (cpu_ns() - c0) * 1e9
    );
    drop(store);
    let c = rusqlite::Connection::open(dir.path().join("b.db")).unwrap();
    let q = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    println!(
        "fts_data rows {} pages {} ",
        q("SELECT count(*) FROM messages_fts_data"),
        q("PRAGMA page_count")
    );
    println!(
        "cpu {:.0} msgs/s  wall {:.0} msgs/s",
        total as f64 / cpu * 1e9,
        total as f64 / wall * 1e9
    );
}
