//! The WAL stays bounded while `chat export --format ndjson` sits in a
//! pipe nobody reads (issue 12, item 9): the export holds no snapshot
//! while it waits, so checkpoints go on and the WAL starts over.
//!
//! `CHAT_WAL_SENDS` sets the number of sends made meanwhile (default 5,000;
//! the experiment is 20,000).

mod common;

use common::{PASSWORD, World};
use std::process::{Command, Stdio};
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

fn wal_size(db: &std::path::Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |meta| meta.len())
}

#[test]
fn the_wal_stays_bounded_while_an_export_sits_in_a_paused_pipe() {
    let sends: usize = std::env::var("CHAT_WAL_SENDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(5_000);
    let world = World::new();
    let db = world.db();
    world.register("bob");
    world.register("ann");
    // Enough history that the export fills the pipe (64 KiB) and stops.
    let store = chatcore::Store::open(&db).unwrap();
    let ann = store.login("ann@example.com", PASSWORD).unwrap();
    let bob = ann.find_user("bob").unwrap();
    let (thread, _) = ann.create_thread(&[ann.user_id(), bob.id]).unwrap();
    for n in 0..2_000 {
        ann.send(thread.id, &format!("history {n} {}", "h".repeat(100)))
            .unwrap();
    }

    // ann's export, into a pipe this test never reads.
    let mut export = Command::new(assert_cmd::cargo::cargo_bin("chat"))
        .env("CHAT_DB", &db)
        .env("CHAT_STATE_DIR", world.state_dir())
        .env("HOME", world.home())
        .args(["export", "--format", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        export.try_wait().unwrap().is_none(),
        "the export did not stop"
    );

    let mut peak = 0;
    for n in 0..sends {
        ann.send(
            thread.id,
            &format!("while the export waits {n} {}", "w".repeat(60)),
        )
        .unwrap();
        if n % 100 == 0 {
            peak = peak.max(wal_size(&db));
        }
    }
    peak = peak.max(wal_size(&db));
    assert!(
        export.try_wait().unwrap().is_none(),
        "the export ended early"
    );
    // Read the export to its end: the history and none of the later sends.
    let out = export.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + 2_000);
    assert!(!text.contains("while the export waits"));
    for _ in 0..3 {
        store.checkpoint().unwrap();
        ann.send(thread.id, "after the export").unwrap();
    }
    let after = wal_size(&db);
    println!(
        "{sends} sends while `chat export --format ndjson` sat in a paused pipe: \
         WAL peak {:.1} MiB, {:.1} MiB after the export ended",
        peak as f64 / MIB as f64,
        after as f64 / MIB as f64
    );
    assert!(peak <= 64 * MIB, "the WAL grew to {peak} bytes");
    assert!(after <= 32 * MIB, "the WAL kept {after} bytes");
}
