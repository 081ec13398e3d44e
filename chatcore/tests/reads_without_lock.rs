//! Reads never need the write lock (issue 12, item 8): `Store::resume` and
//! every read work while another connection holds a write transaction and
//! on a file that cannot be written; `last_used_at` is refreshed at most
//! once a minute, and only when the lock is free at once.

mod common;

use chatcore::{Config, ManualClock, MessageQuery, Store, ThreadQuery};
use chrono::{Duration, TimeZone, Utc};
use common::{raw, user};
use std::sync::Arc;
use std::time::Instant;

fn last_used_ms(path: &std::path::Path) -> i64 {
    raw(path)
        .query_row("SELECT last_used_at FROM sessions", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn last_used_at_is_refreshed_at_most_once_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let store = Store::open_with(
        &path,
        Config::insecure_fast_for_tests().clock(clock.clone()),
    )
    .unwrap();
    let (_, session) = user(&store, "ann");
    let token = session.token().to_string();
    assert_eq!(last_used_ms(&path), start.timestamp_millis());

    clock.advance(Duration::seconds(59));
    store.resume(&token).unwrap().me().unwrap();
    assert_eq!(
        last_used_ms(&path),
        start.timestamp_millis(),
        "a resume within a minute writes nothing"
    );

    clock.advance(Duration::seconds(2));
    store.resume(&token).unwrap();
    assert_eq!(
        last_used_ms(&path),
        (start + Duration::seconds(61)).timestamp_millis(),
        "a resume more than a minute later refreshes it"
    );
}

#[test]
fn resume_and_reads_work_while_another_connection_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    a.send(thread.id, "hello").unwrap();
    let token = a.token().to_string();
    // Make the session stale, so that resume wants to refresh it.
    let writer = raw(&path);
    writer
        .execute("UPDATE sessions SET last_used_at = 0", [])
        .unwrap();
    let stale = last_used_ms(&path);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();

    // Another store (as another process would), default 5 s busy timeout.
    let reader = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    let started = Instant::now();
    let session = reader.resume(&token).unwrap();
    assert_eq!(session.me().unwrap().username, "ann");
    assert_eq!(
        session
            .list_threads(&ThreadQuery::default())
            .unwrap()
            .items
            .len(),
        1
    );
    let page = session
        .list_messages(thread.id, &MessageQuery::default())
        .unwrap();
    assert_eq!(page.items[0].text, "hello");
    assert_eq!(session.unread_count().unwrap(), 0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "reads waited for the write lock: {:?}",
        started.elapsed()
    );
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(
        last_used_ms(&path),
        stale,
        "nothing was written under the lock"
    );

    // With the lock free, the next resume refreshes the stale session.
    reader.resume(&token).unwrap();
    assert!(last_used_ms(&path) > stale);
}

/// A database folder that cannot be written: a tmpfs remounted read-only
/// when running as root (root ignores file modes), else chmod 0555/0444.
struct ReadOnlyDir {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    mounted: bool,
}

impl ReadOnlyDir {
    fn new() -> ReadOnlyDir {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|status| status.success());
        ReadOnlyDir {
            _dir: dir,
            path,
            mounted,
        }
    }

    fn make_read_only(&self) {
        if self.mounted {
            let status = std::process::Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(&self.path)
                .status()
                .unwrap();
            assert!(status.success(), "remount read-only failed");
        } else {
            use std::os::unix::fs::PermissionsExt;
            for entry in std::fs::read_dir(&self.path).unwrap() {
                let entry = entry.unwrap().path();
                std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o444)).unwrap();
            }
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self.mounted {
            let _ = std::process::Command::new("umount")
                .arg(&self.path)
                .status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_read_only_database_opens_and_serves_every_read() {
    let disk = ReadOnlyDir::new();
    let path = disk.path.join("chat.db");
    let (token, thread) = {
        let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
        let (ann, a) = user(&store, "ann");
        let (bob, b) = user(&store, "bob");
        let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
        a.send(thread.id, "hello").unwrap();
        (b.token().to_string(), thread.id)
    };
    raw(&path)
        .execute("UPDATE sessions SET last_used_at = 0", [])
        .unwrap();
    disk.make_read_only();

    let store = Store::open_with(&path, Config::insecure_fast_for_tests()).unwrap();
    assert!(store.is_read_only());
    let bob = store.resume(&token).unwrap();
    assert_eq!(bob.me().unwrap().username, "bob");
    assert_eq!(
        bob.list_threads(&ThreadQuery::default())
            .unwrap()
            .items
            .len(),
        1
    );
    let page = bob.list_messages(thread, &MessageQuery::default()).unwrap();
    assert_eq!(page.items[0].text, "hello");
    assert_eq!(bob.unread_count().unwrap(), 1);
    assert!(store.verify_unread().unwrap().mismatches.is_empty());
    let mut export = Vec::new();
    bob.export_ndjson(&mut export).unwrap();
    assert_eq!(String::from_utf8(export).unwrap().lines().count(), 2);
    store.checkpoint().unwrap();
    // A write is refused with a storage error, and changes nothing.
    let err = bob.send(thread, "not stored").unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert_eq!(bob.unread_count().unwrap(), 1);
}
