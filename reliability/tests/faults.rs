//! Guarantee: a full disk fails a write with a Storage error and stores
//! nothing partial; the next call succeeds once space is back. A corrupt or
//! non-SQLite file is a clear error, never a panic.
//!
//! The disk-full test mounts a small tmpfs (it needs root, as CI has); the
//! free space is swept one 4 KiB page at a time from none to enough, so
//! the commit fails at each of its writes in turn (the WAL header, each
//! WAL frame, the commit frame).

use chatcore::{MessageId, Store};
use chatcore_reliability::{check_file, config, pair};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

const PAGE: u64 = 4096;

/// A tmpfs mounted for the test's lifetime.
struct SmallDisk {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    fn mount(size_kib: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"])
            .arg(&mount)
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { _dir: dir, mount })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

/// Fills the disk, then frees `pages` pages of it.
fn leave_free(filler: &Path, pages: u64) {
    let mut file = std::fs::File::create(filler).unwrap();
    let block = vec![0u8; PAGE as usize];
    let mut written = 0u64;
    while file.write_all(&block).is_ok() {
        written += PAGE;
    }
    file.set_len(written.saturating_sub(pages * PAGE)).unwrap();
}

/// The WAL is emptied before each try, so the write must grow it.
fn truncate_wal(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

fn snapshot(path: &Path) -> String {
    chatcore_reliability::snapshot(
        path,
        &["users", "sessions", "threads", "members", "messages"],
    )
}

#[test]
fn a_full_disk_fails_each_write_cleanly_and_the_next_call_succeeds() {
    let Some(disk) = SmallDisk::mount(2048) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must be able to mount a tmpfs"
        );
        println!("disk full: SKIPPED (cannot mount a tmpfs: not root)");
        return;
    };
    let path = disk.mount.join("full.db");
    let filler = disk.mount.join("filler");
    let (store, ann, bob, thread) = pair(&path);
    for n in 0..20 {
        ann.send(thread, &format!("backlog {n} {}", "x".repeat(300)))
            .unwrap();
    }
    // Sessions must not need a refresh write during the test.
    let mut failures = [0u32; 2];
    for (which, name) in ["send", "mark_thread_read"].iter().enumerate() {
        for pages in 0.. {
            truncate_wal(&path);
            let before = snapshot(&path);
            leave_free(&filler, pages);
            let result = match which {
                0 => ann
                    .send(thread, &format!("big {pages} {}", "y".repeat(9000)))
                    .map(|_| ()),
                _ => bob.mark_thread_read(thread, None).map(|_| ()),
            };
            std::fs::remove_file(&filler).unwrap();
            match result {
                Ok(()) => break,
                Err(err) => {
                    assert_eq!(
                        err.code(),
                        "storage",
                        "{name} with {pages} free pages: {err}"
                    );
                    failures[which] += 1;
                    assert_eq!(
                        snapshot(&path),
                        before,
                        "{name} with {pages} free pages stored something"
                    );
                    check_file(&path);
                    // With space back, the same store goes on working.
                    bob.unread_count().unwrap();
                }
            }
            assert!(pages < 200, "{name} never succeeded");
        }
    }
    assert!(
        failures[0] > 0 && failures[1] > 0,
        "the disk never ran full"
    );
    let stored = bob.mark_read(MessageId(1));
    assert!(stored.is_ok(), "{stored:?}");
    drop((ann, bob, store));
    let check = check_file(&path);
    println!(
        "disk full: send failed at {} successive free-space points and mark_thread_read at {}, \
         each with a Storage error, nothing partial stored, integrity ok; the next call succeeded \
         ({} messages at the end)",
        failures[0], failures[1], check.messages
    );
}

/// Opens and uses a damaged file; any error is fine, a panic is not.
fn use_damaged(path: &Path) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> chatcore::Result<()> {
        let store = Store::open_with(path, config())?;
        let session = chatcore_reliability::login(&store, "ann")?;
        session.unread_count()?;
        session.list_threads(&Default::default())?;
        store.verify_unread()?;
        Ok(())
    }));
    match outcome {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(err)) => {
            assert_eq!(err.code(), "storage", "{err}");
            "storage".to_string()
        }
        Err(_) => panic!("a damaged file made chatcore panic"),
    }
}

#[test]
fn corrupt_and_foreign_files_are_errors_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.db");
    let (store, ann, _, thread) = pair(&good);
    for n in 0..200 {
        ann.send(thread, &format!("message {n} {}", "z".repeat(200)))
            .unwrap();
    }
    drop((ann, store));
    truncate_wal(&good);
    let bytes = std::fs::read(&good).unwrap();
    let pages = bytes.len() / PAGE as usize;
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    let mut cases = 0;
    let mut damaged = |name: &str, content: Vec<u8>| {
        let path = dir.path().join(format!("{name}.db"));
        std::fs::write(&path, content).unwrap();
        *outcomes.entry(use_damaged(&path)).or_default() += 1;
        cases += 1;
    };
    damaged("text", b"this is not a database at all\n".repeat(100));
    damaged("header-only", bytes[..100].to_vec());
    damaged("truncated", bytes[..bytes.len() / 2].to_vec());
    for page in 1..pages {
        let mut scrambled = bytes.clone();
        for (i, byte) in scrambled[page * PAGE as usize..(page + 1) * PAGE as usize]
            .iter_mut()
            .enumerate()
        {
            *byte = (i as u8).wrapping_mul(31) ^ 0xA5;
        }
        damaged(&format!("page{page}"), scrambled);
    }
    println!(
        "damaged files: {cases} (not SQLite, header only, truncated, each of {} pages scrambled): \
         outcomes {outcomes:?}, no panic",
        pages - 1
    );
}
