//! Never overwrite, for real: backups and both exports go through one
//! no-replace primitive (`chatcore::files`), which refuses anything at the
//! destination, even a file that appears while the new one is written, and
//! creates its temporary file privately, exclusively and under a random name.

mod common;

use chatcore::files::{replace_file, write_new_file};
use chatcore::{Config, NewUser, Store};
use std::io::Write;
use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn store_with_ann() -> (tempfile::TempDir, Store) {
    let (dir, _, store) = common::file_store();
    store
        .register(&NewUser {
            email: "ann@example.com",
            username: "ann",
            password: "correct horse",
            ..Default::default()
        })
        .unwrap();
    (dir, store)
}

#[test]
fn a_file_created_while_writing_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.txt");
    let err = write_new_file(&target, |file| {
        // Someone else creates the destination after the first check.
        std::fs::write(&target, "theirs").unwrap();
        file.write_all(b"ours")
    })
    .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    // Our temporary file is gone.
    assert_eq!(names(dir.path()), ["out.txt"]);
}

#[test]
fn anything_already_there_is_refused_and_kept() {
    let (dir, store) = store_with_ann();
    let session = store.login("ann@example.com", "correct horse").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let dangling = dir.path().join("dangling");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let before = names(dir.path());
    for target in [&empty, &folder, &dangling] {
        #[cfg(not(unix))]
        if target == &dangling {
            continue;
        }
        let refusals = [
            store.backup(target),
            store.export_django_to_file(target),
            session.export_ndjson_to_file(target),
            write_new_file(target, |file| file.write_all(b"x")),
        ];
        for result in refusals {
            let err = result.unwrap_err();
            assert_eq!(err.code(), "invalid_argument", "{target:?}: {err}");
        }
    }
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
    assert!(folder.is_dir());
    assert_eq!(names(dir.path()), before, "nothing new, nothing removed");
}

#[test]
fn backup_and_exports_write_new_private_files() {
    let (dir, store) = store_with_ann();
    let session = store.login("ann@example.com", "correct horse").unwrap();
    let backup = dir.path().join("copy.db");
    let django = dir.path().join("dump.json");
    let ndjson = dir.path().join("me.ndjson");
    store.backup(&backup).unwrap();
    store.export_django_to_file(&django).unwrap();
    session.export_ndjson_to_file(&ndjson).unwrap();
    let mut expected = Vec::new();
    session.export_ndjson(&mut expected).unwrap();
    assert_eq!(std::fs::read(&ndjson).unwrap(), expected);
    let copy = Store::open_with(&backup, Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(
        copy.login("ann@example.com", "correct horse")
            .unwrap()
            .me()
            .unwrap()
            .username,
        "ann"
    );
    #[cfg(unix)]
    for path in [&backup, &django, &ndjson] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path:?}");
    }
    assert!(
        names(dir.path()).iter().all(|name| !name.ends_with(".tmp")),
        "{:?}",
        names(dir.path())
    );
}

#[test]
fn the_temporary_file_is_private_random_and_beside_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for i in 0..2 {
        let target = dir.path().join(format!("t{i}"));
        write_new_file(&target, |file| {
            let temp: Vec<String> = names(dir.path())
                .into_iter()
                .filter(|name| name.starts_with(".chatcore-"))
                .collect();
            assert_eq!(temp.len(), 1, "{temp:?}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = file.metadata()?.permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            seen.push(temp[0].clone());
            file.write_all(b"x")
        })
        .unwrap();
    }
    assert_ne!(seen[0], seen[1], "a fresh random name each time");
    assert_eq!(names(dir.path()), ["t0", "t1"]);
}

#[test]
fn a_failed_write_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let err = write_new_file(&target, |_| Err(std::io::Error::other("disk on fire"))).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(names(dir.path()).is_empty());
}

#[test]
fn concurrent_replacements_each_succeed_and_leave_one_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("session.json");
    std::thread::scope(|scope| {
        for i in 0..32 {
            let target = &target;
            scope.spawn(move || {
                let line = format!("{i:02}").repeat(4096);
                replace_file(target, |file| file.write_all(line.as_bytes())).unwrap();
            });
        }
    });
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.len(), 8192);
    assert_eq!(text, text[..2].repeat(4096), "one writer's whole content");
    assert_eq!(names(dir.path()), ["session.json"]);
}
