//! Read commands never need the write lock (issue 12, item 8): `whoami`,
//! `threads`, `messages` and `unread` work on a database that cannot be
//! written and while another process (a long `chat import`) holds the
//! write lock. (A session used within the last minute is not written to
//! at all; the refresh of an older one, which never waits for the lock, is
//! tested in chatcore's `reads_without_lock.rs`.)

mod common;

use common::{PASSWORD, World};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `chat --json ARGS` on `db`, expecting success; the JSON it printed.
fn ok(world: &World, db: &Path, args: &[&str]) -> serde_json::Value {
    let out = world
        .chat_with(db, &world.state_dir())
        .arg("--json")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    common::json(&out)
}

/// Registers `name` on `db` (which logs them in there).
fn register(world: &World, db: &Path, name: &str) {
    world
        .chat_with(db, &world.state_dir())
        .args(["register", "--password-stdin", "--username", name])
        .args(["--email", &format!("{name}@example.com")])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
}

/// The four read commands, as bob, each must succeed.
fn reads_work(world: &World, db: &Path) {
    assert_eq!(ok(world, db, &["whoami"])["username"], "bob");
    let threads = ok(world, db, &["threads"]);
    assert!(threads.to_string().contains("ann"), "{threads}");
    let messages = ok(world, db, &["messages", "1"]);
    assert!(messages.to_string().contains("hello bob"), "{messages}");
    assert_eq!(ok(world, db, &["unread"])["unread_count"], 1);
}

#[test]
fn read_commands_work_while_another_process_holds_the_write_lock() {
    let world = World::new();
    let db = world.db();
    register(&world, &db, "bob");
    register(&world, &db, "ann");
    ok(&world, &db, &["send", "--to", "bob", "hello", "bob"]);
    world
        .chat()
        .args(["login", "--password-stdin", "--email", "bob@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();

    // A long import: it holds the write lock while it waits for its input.
    let mut import = Command::new(assert_cmd::cargo::cargo_bin("chat"))
        .env("CHAT_DB", &db)
        .env("CHAT_STATE_DIR", world.state_dir())
        .env("HOME", world.home())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = import.stdin.take().unwrap();
    input.write_all(b"[\n").unwrap();
    input.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        import.try_wait().unwrap().is_none(),
        "the import ended early"
    );

    let started = Instant::now();
    reads_work(&world, &db);
    let reads = started.elapsed();
    assert!(
        reads < Duration::from_secs(4),
        "the reads waited for the write lock ({reads:?})"
    );
    // The lock was held all along: a write in the meantime is busy.
    assert_eq!(world.err_code(&["send", "1", "refused"], 1), "busy");
    assert!(
        import.try_wait().unwrap().is_none(),
        "the import ended early"
    );
    drop(input);
    let _ = import.wait();
    println!("four read commands under another process's write lock: {reads:?}");
}

/// A folder that cannot be written: a tmpfs remounted read-only when
/// running as root (root ignores file modes), else chmod 0555/0444.
struct ReadOnlyDir {
    _dir: tempfile::TempDir,
    path: PathBuf,
    mounted: bool,
}

impl ReadOnlyDir {
    fn new() -> ReadOnlyDir {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
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
            let status = Command::new("mount")
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
            let _ = Command::new("umount").arg(&self.path).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn read_commands_work_on_a_read_only_database() {
    let world = World::new();
    let disk = ReadOnlyDir::new();
    let db = disk.path.join("chat.db");
    register(&world, &db, "bob");
    register(&world, &db, "ann");
    ok(&world, &db, &["send", "--to", "bob", "hello", "bob"]);
    world
        .chat_with(&db, &world.state_dir())
        .args(["login", "--password-stdin", "--email", "bob@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    disk.make_read_only();

    reads_work(&world, &db);
    // A write is refused with a storage error.
    let out = world
        .chat_with(&db, &world.state_dir())
        .args(["--json", "send", "1", "refused"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(common::json(&out)["error"]["code"], "storage");
}
