//! Guarantee (issue 12, item 13): opening a store on a full disk says that
//! the disk is full and what to do, instead of SQLite's bare "disk I/O
//! error" (its shared-memory `-shm` file cannot grow), and the same file
//! opens once space is back.
//!
//! Mounts a small tmpfs, as `faults.rs` does (needs root, as CI has).

use chatcore::Store;
use chatcore_reliability::{check_file, config, pair};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

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

/// Fills the disk to the last byte.
fn fill(filler: &std::path::Path) {
    let mut file = std::fs::File::create(filler).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    while file.write_all(&[0]).is_ok() {}
}

#[test]
fn opening_on_a_full_disk_says_the_disk_is_full_and_works_once_space_is_back() {
    let Some(disk) = SmallDisk::mount(1024) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must be able to mount a tmpfs"
        );
        println!("full disk at open: SKIPPED (cannot mount a tmpfs: not root)");
        return;
    };
    let path = disk.mount.join("chat.db");
    let filler = disk.mount.join("filler");
    {
        let (_store, ann, _bob, thread) = pair(&path);
        ann.send(thread, "before the disk ran full").unwrap();
    }
    // A clean close removed the -wal and -shm files: the next open must
    // create the -shm file and grow it.
    assert!(!disk.mount.join("chat.db-shm").exists());
    fill(&filler);

    let err = Store::open_with(&path, config()).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    let message = err.to_string();
    assert!(message.contains("disk is full"), "{message} ({err:?})");
    assert!(message.contains("free some space"), "{message}");
    assert!(!message.contains("disk I/O error"), "{message}");

    std::fs::remove_file(&filler).unwrap();
    let store = Store::open_with(&path, config()).unwrap();
    let session = chatcore_reliability::login(&store, "bob").unwrap();
    assert_eq!(session.unread_count().unwrap(), 1);
    drop((session, store));
    check_file(&path);
    println!("full disk at open: {message}");
}
