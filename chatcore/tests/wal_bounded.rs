//! The WAL stays bounded (issue 12, items 9 and 10): exports read in short
//! transactions, so a reader of their output that stops reading holds no
//! snapshot; checkpoints run on a background thread owned by the store
//! (stopped with its last handle), or inline when configured; the WAL file
//! is truncated back after it starts over.
//!
//! The tests of this file run one at a time: they count threads and
//! measure the WAL.

mod common;

use chatcore::{Checkpoints, Config, Session, Store, ThreadId};
use common::user;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

static SERIAL: Mutex<()> = Mutex::new(());

const MIB: u64 = 1024 * 1024;

/// The issue's target for the WAL while an export is paused.
const WAL_TARGET: u64 = 64 * MIB;

/// The WAL's size limit after it starts over (`journal_size_limit`).
const JOURNAL_SIZE_LIMIT: u64 = 32 * MIB;

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn wal_size(path: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |meta| meta.len())
}

/// A file store with `ann` and `bob` and their thread holding `backlog`
/// messages.
fn world(config: Config, backlog: usize) -> (tempfile::TempDir, PathBuf, Store, Session, ThreadId) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = Store::open_with(&path, config).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    for n in 0..backlog {
        a.send(
            thread.id,
            &format!("backlog message {n} {}", "x".repeat(60)),
        )
        .unwrap();
    }
    (dir, path, store, a, thread.id)
}

/// An output that stops at its first write until told to go on, as a pipe
/// nobody reads.
struct PausedPipe {
    paused: Option<Sender<()>>,
    resume: Receiver<()>,
    bytes: Vec<u8>,
}

impl Write for PausedPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(paused) = self.paused.take() {
            paused.send(()).unwrap();
            self.resume.recv().unwrap();
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `export` on a thread into a paused pipe; once it is paused, runs
/// `meanwhile`, then lets the export finish. Returns what it wrote.
fn export_paused(
    export: impl FnOnce(&mut PausedPipe) -> chatcore::Result<()> + Send + 'static,
    meanwhile: impl FnOnce(),
) -> String {
    let (paused_tx, paused_rx) = channel();
    let (resume_tx, resume_rx) = channel();
    let exporter = std::thread::spawn(move || {
        let mut pipe = PausedPipe {
            paused: Some(paused_tx),
            resume: resume_rx,
            bytes: Vec::new(),
        };
        export(&mut pipe).map(|()| pipe.bytes)
    });
    paused_rx.recv().unwrap();
    meanwhile();
    resume_tx.send(()).unwrap();
    String::from_utf8(exporter.join().unwrap().unwrap()).unwrap()
}

/// Sends `count` messages, returning the largest WAL seen (every 100 sends).
fn send_many(session: &Session, thread: ThreadId, path: &Path, count: usize) -> u64 {
    let mut peak = 0;
    for n in 0..count {
        session
            .send(thread, &format!("while paused {n} {}", "y".repeat(60)))
            .unwrap();
        if n % 100 == 0 {
            peak = peak.max(wal_size(path));
        }
    }
    peak.max(wal_size(path))
}

/// After the export: a checkpoint, then a commit that starts the WAL over
/// (and truncates its file to the limit).
fn settle(store: &Store, session: &Session, thread: ThreadId, path: &Path) -> u64 {
    for _ in 0..3 {
        store.checkpoint().unwrap();
        session.send(thread, "after the export").unwrap();
    }
    wal_size(path)
}

#[test]
fn the_wal_stays_bounded_while_an_ndjson_export_is_paused() {
    let _serial = serial();
    let (_dir, path, store, ann, thread) = world(Config::insecure_fast_for_tests(), 1_000);
    let exporting = ann.clone();
    let mut peak = 0;
    let out = export_paused(
        move |pipe| exporting.export_ndjson(pipe),
        || peak = send_many(&ann, thread, &path, 4_000),
    );
    let after = settle(&store, &ann, thread, &path);
    println!(
        "ndjson export paused during 4,000 sends: WAL peak {:.1} MiB, {:.1} MiB after it ended",
        peak as f64 / MIB as f64,
        after as f64 / MIB as f64
    );
    assert!(peak <= WAL_TARGET, "WAL grew to {peak} bytes");
    assert!(after <= JOURNAL_SIZE_LIMIT, "WAL kept {after} bytes");
    // The thread's line and exactly the messages it had when it was read.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 1_000);
    assert!(lines[0].contains(r#""type":"thread""#));
    assert!(lines[1_000].contains("backlog message 999 "));
    assert!(!out.contains("while paused"));
}

#[test]
fn the_wal_stays_bounded_while_a_django_export_is_paused_and_the_dump_stays_coherent() {
    let _serial = serial();
    let (_dir, path, store, ann, thread) = world(Config::insecure_fast_for_tests(), 1_000);
    let exporting = store.clone();
    let mut peak = 0;
    let out = export_paused(
        move |pipe| exporting.export_django(pipe),
        || {
            peak = send_many(&ann, thread, &path, 4_000);
            // New rows and a deleted thread while the export is under way.
            let (cyd, c) = user(&store, "cyd");
            let (t2, _) = c.create_thread(&[cyd.id, ann.user_id()]).unwrap();
            c.send(t2.id, "made during the export").unwrap();
            ann.delete_thread(thread).unwrap();
        },
    );
    println!(
        "django export paused during 4,000 sends: WAL peak {:.1} MiB",
        peak as f64 / MIB as f64
    );
    assert!(peak <= WAL_TARGET, "WAL grew to {peak} bytes");
    // The dump reads back: every message's thread and every thread's users
    // are in it; nothing made after the export began is.
    let copy = Store::open_in_memory_with(Config::insecure_fast_for_tests()).unwrap();
    let report = copy.import_django(out.as_bytes(), false).unwrap();
    assert_eq!((report.users, report.threads), (2, 1), "{report:?}");
    assert!(report.messages <= 1_000, "{report:?}");
    assert!(!out.contains("cyd@example.com") && !out.contains("while paused"));
}

#[test]
fn verify_unread_reads_in_batches_and_still_finds_every_mismatch() {
    let _serial = serial();
    let (_dir, path, store, ann, thread) = world(Config::insecure_fast_for_tests(), 3);
    for n in 0..450 {
        user(&store, &format!("u{n}"));
    }
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    // Damage counters of the first and of the last user, in different batches.
    common::raw(&path)
        .execute_batch(
            "UPDATE users SET unread_total = 7 WHERE username IN ('bob', 'u449');
             UPDATE members SET unread = 9 WHERE user_id = (SELECT id FROM users WHERE username = 'bob');",
        )
        .unwrap();
    let report = store.verify_unread().unwrap();
    assert_eq!(report.users_checked, 452);
    assert_eq!(report.threads_checked, 2);
    assert_eq!(report.mismatches.len(), 3, "{report:?}");
    assert_eq!(store.repair_unread().unwrap().mismatches, report.mismatches);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    assert_eq!(ann.unread_count().unwrap(), 0);
    let _ = thread;
}

/// Threads of this process named by the checkpointer, once that count
/// settles (a new thread names itself when it first runs; a stopped one is
/// joined before the store's drop returns). Up to 5 s for `expected`.
#[cfg(target_os = "linux")]
fn checkpointer_threads_now(expected: usize) -> usize {
    let started = std::time::Instant::now();
    loop {
        let found = count_checkpointer_threads();
        if found == expected || started.elapsed() > std::time::Duration::from_secs(5) {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Threads of this process named by the checkpointer (`comm` keeps 15 bytes).
#[cfg(target_os = "linux")]
fn count_checkpointer_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "chatcore-checkp")
        .count()
}

#[cfg(target_os = "linux")]
#[test]
fn the_checkpointer_runs_while_the_store_lives_and_stops_with_its_last_handle() {
    let _serial = serial();
    assert_eq!(checkpointer_threads_now(0), 0);
    let (_dir, path, store, ann, thread) = world(Config::insecure_fast_for_tests(), 0);
    assert_eq!(checkpointer_threads_now(1), 1);
    let clone = store.clone();
    drop(store);
    // Sending wakes it (the WAL passes its threshold) and the WAL stays
    // bounded. Under sends back to back a passive checkpoint rarely finds
    // the log fully copied, so the log restarts late: the bound is the one
    // where a commit waits for a checkpoint (the issue's 64 MiB), not the
    // journal size limit (each send also writes the search index's pages).
    let peak = send_many(&ann, thread, &path, 2_000);
    assert!(peak <= WAL_TARGET, "WAL grew to {peak} bytes");
    assert_eq!(checkpointer_threads_now(1), 1, "a clone keeps it");
    drop((clone, ann));
    assert_eq!(
        checkpointer_threads_now(0),
        0,
        "stopped with the last handle"
    );

    // Inline: no thread; SQLite checkpoints in the commit, the WAL stays small.
    let (_dir, path, store, ann, thread) = world(
        Config::insecure_fast_for_tests().checkpoints(Checkpoints::Inline),
        0,
    );
    assert_eq!(checkpointer_threads_now(0), 0);
    let peak = send_many(&ann, thread, &path, 2_000);
    assert!(peak <= 8 * MIB, "WAL grew to {peak} bytes");
    store.checkpoint().unwrap();
    assert_eq!(checkpointer_threads_now(0), 0);
    // An in-memory store has no WAL and no thread.
    let memory = common::store();
    memory.checkpoint().unwrap();
    assert_eq!(checkpointer_threads_now(0), 0);
}
