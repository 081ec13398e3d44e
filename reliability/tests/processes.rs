//! Guarantee: several processes (and threads) on one host may use one file
//! at once. Every send is stored exactly once, each sender's order is kept,
//! and no caller sees Busy with the default 5 s busy timeout.
//!
//! `RELIABILITY_SENDS` sets the sends per sender (CI and full: 1,000).

use chatcore::{MessageQuery, Store};
use chatcore_reliability::{check_file, config, grouped, raw, size, user};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SENDERS: usize = 4;

/// Users s0..s3 and a reader `r`, with a thread between each sender and r.
fn world(path: &Path) -> Vec<(String, i64)> {
    let store = Store::open_with(path, config()).unwrap();
    let (reader, _) = user(&store, "r");
    (0..SENDERS)
        .map(|i| {
            let name = format!("s{i}");
            let (me, session) = user(&store, &name);
            let (thread, _) = session.create_thread(&[me.id, reader.id]).unwrap();
            (name, thread.id.0)
        })
        .collect()
}

/// Every sender's messages, in id order, are `NAME #0`, `NAME #1`, …:
/// nothing lost, nothing doubled, the order kept.
fn assert_each_sender_in_order(path: &Path, sends: u64) {
    let conn = raw(path);
    let total: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total as u64, sends * SENDERS as u64, "messages stored");
    for i in 0..SENDERS {
        let name = format!("s{i}");
        let texts: Vec<String> = conn
            .prepare(
                "SELECT m.text FROM messages m JOIN users u ON u.id = m.sender_id
                 WHERE u.username = ?1 ORDER BY m.id",
            )
            .unwrap()
            .query_map([&name], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected: Vec<String> = (0..sends).map(|n| format!("{name} #{n}")).collect();
        assert!(
            texts == expected,
            "{name}'s messages are not all there in order"
        );
    }
}

#[test]
fn four_processes_sending_and_two_reading_lose_nothing_and_never_see_busy() {
    let sends = size("RELIABILITY_SENDS", 1_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("procs.db");
    let stop = dir.path().join("stop");
    let senders = world(&path);
    let worker = env!("CARGO_BIN_EXE_rel-worker");
    let started = Instant::now();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            Command::new(worker)
                .args([
                    "reader",
                    path.to_str().unwrap(),
                    "r",
                    stop.to_str().unwrap(),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let children: Vec<_> = senders
        .iter()
        .map(|(name, thread)| {
            Command::new(worker)
                .args(["sender", path.to_str().unwrap(), name])
                .arg(thread.to_string())
                .arg(sends.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut report = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        report.push(text);
    }
    let elapsed = started.elapsed();
    std::fs::write(&stop, "").unwrap();
    for child in readers {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        report.push(text);
    }
    assert_each_sender_in_order(&path, sends);
    let check = check_file(&path);
    println!("{}", report.join("; "));
    println!(
        "processes: {SENDERS} processes x {} sends + 2 reader processes: exactly {} messages, \
         each sender's order kept, 0 Busy, 0 errors, counters verified ({:.1} s)",
        grouped(sends),
        grouped(check.messages),
        elapsed.as_secs_f64()
    );
}

#[test]
fn four_threads_sending_and_two_reading_in_one_process_lose_nothing() {
    let sends = size("RELIABILITY_SENDS", 1_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.db");
    let senders = world(&path);
    // One store shared by every thread, as an application would hold it.
    let store = Store::open_with(&path, config()).unwrap();
    let started = Instant::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let session = chatcore_reliability::login(&store, "r").unwrap();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut ops = 0u64;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let page = session.list_threads(&Default::default()).unwrap();
                    for summary in page.items {
                        session
                            .list_messages(summary.thread.id, &MessageQuery::default())
                            .unwrap();
                        session.mark_thread_read(summary.thread.id, None).unwrap();
                        ops += 2;
                    }
                }
                ops
            })
        })
        .collect();
    let handles: Vec<_> = senders
        .into_iter()
        .map(|(name, thread)| {
            let session = chatcore_reliability::login(&store, &name).unwrap();
            std::thread::spawn(move || {
                for n in 0..sends {
                    session
                        .send(chatcore::ThreadId(thread), &format!("{name} #{n}"))
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let elapsed = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
    drop(store);
    assert_each_sender_in_order(&path, sends);
    let check = check_file(&path);
    println!(
        "threads: {SENDERS} threads x {} sends + 2 reader threads ({} reads and marks): \
         exactly {} messages, each sender's order kept, 0 errors ({:.1} s)",
        grouped(sends),
        grouped(reads),
        grouped(check.messages),
        elapsed.as_secs_f64()
    );
}
