//! The local session file against a hostile or busy state directory, as
//! processes: a symlink or a file planted where a temporary file used to be
//! named, 80 logins at once, and state directories another user could tamper
//! with (tests run as root here, so another owner is made with `chown`).
#![cfg(unix)]

mod common;

use common::{PASSWORD, World};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The one `session-*.json` file in `dir`.
fn session_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A world with ann registered (so the state directory and her session
/// file exist) and bob registered; the session left is ann's.
fn world_with_session() -> (World, PathBuf) {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let file = session_file(&world.state_dir());
    (world, file)
}

fn whoami(world: &World) -> String {
    world.ok_json(&["whoami"])["username"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_symlink_planted_at_the_old_temp_name_is_never_followed() {
    let (world, file) = world_with_session();
    let victim = world.dir.path().join("victim.txt");
    fs::write(&victim, "precious\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    let planted = file.with_extension("tmp");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();

    world.login("bob");

    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(fs::metadata(&victim).unwrap().mode() & 0o777, 0o644);
    assert!(fs::symlink_metadata(&planted).unwrap().is_symlink());
    assert_eq!(whoami(&world), "bob");
    let meta = fs::symlink_metadata(&file).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
}

#[test]
fn a_file_planted_at_the_old_temp_name_never_receives_the_token() {
    let (world, file) = world_with_session();
    let planted = file.with_extension("tmp");
    fs::write(&planted, "").unwrap();
    fs::set_permissions(&planted, fs::Permissions::from_mode(0o666)).unwrap();
    std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();

    world.login("bob");

    assert_eq!(fs::read(&planted).unwrap(), b"");
    assert_eq!(fs::metadata(&planted).unwrap().uid(), 65534);
    let meta = fs::metadata(&file).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), my_uid());
    assert_eq!(whoami(&world), "bob");
}

/// The effective uid of this test process, through the owner of a file it creates.
fn my_uid() -> u32 {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    fs::write(&probe, "").unwrap();
    fs::metadata(&probe).unwrap().uid()
}

#[test]
fn eighty_concurrent_logins_all_succeed_and_leave_one_whole_session() {
    let (world, file) = world_with_session();
    let children: Vec<_> = (0..80)
        .map(|i| {
            let who = if i % 2 == 0 { "ann" } else { "bob" };
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chat"));
            cmd.env_clear()
                .env("HOME", world.home())
                .env("CHAT_DB", world.db())
                .env("CHAT_STATE_DIR", world.state_dir())
                .env("CHAT_INSECURE_FAST_PASSWORDS", "1");
            cmd.args(["login", "--password-stdin", "--email"])
                .arg(format!("{who}@example.com"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{PASSWORD}\n").as_bytes())
                .unwrap();
            child
        })
        .collect();
    let failures: Vec<String> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .filter(|out| !out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stderr).into_owned())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed, e.g. {:?}",
        failures.len(),
        failures.first()
    );

    // One complete session file, nothing else left behind, and it works.
    assert_eq!(
        names(&world.state_dir()),
        [file.file_name().unwrap().to_string_lossy().into_owned()]
    );
    let text = fs::read_to_string(&file).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(stored["token"].is_string(), "{text}");
    let me = whoami(&world);
    assert!(me == "ann" || me == "bob", "{me}");
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
}

fn refused(world: &World, args: &[&str], what: &str) {
    let out = world
        .chat()
        .args(args)
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("refusing the state directory"), "{text}");
    assert!(text.contains(what), "{text}");
    assert!(text.contains("CHAT_STATE_DIR"), "{text}");
}

#[test]
fn a_state_directory_owned_by_someone_else_is_refused() {
    let (world, file) = world_with_session();
    let dir = world.state_dir();
    let before = fs::read(&file).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();

    let login = ["login", "--password-stdin", "--email", "bob@example.com"];
    refused(&world, &login, "belongs to user id 65534");
    // The token there is not used either: it could be someone else's.
    refused(&world, &["whoami"], "belongs to user id 65534");
    assert_eq!(fs::read(&file).unwrap(), before);

    std::os::unix::fs::chown(&dir, Some(my_uid()), None).unwrap();
    assert_eq!(whoami(&world), "ann");
}

#[test]
fn a_state_directory_others_can_write_is_refused_with_the_fix() {
    let (world, file) = world_with_session();
    let dir = world.state_dir();
    let login = ["login", "--password-stdin", "--email", "bob@example.com"];
    for mode in [0o777, 0o770, 0o1777] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
        refused(&world, &login, "chmod go-w");
        refused(&world, &["whoami"], "other users can write to it");
    }
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("ann@example.com")
    );

    // Readable by others is fine (only writing lets them plant a file).
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    world.login("bob");
    assert_eq!(whoami(&world), "bob");
}

#[test]
fn a_fresh_state_directory_is_created_private() {
    let world = World::new();
    world.register("ann");
    let meta = fs::metadata(world.state_dir()).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o700);
}
