//! Local sessions across processes: stored, shared, ended.

mod common;

use common::World;
use predicates::prelude::*;
use std::fs;
use std::path::PathBuf;

fn session_files(dir: &std::path::Path) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_login_is_kept_in_a_private_file_and_used_by_later_processes() {
    let world = World::new();
    world.register("ann");
    let files = session_files(&world.state_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The file never holds the password.
    let content = fs::read_to_string(&files[0]).unwrap();
    assert!(!content.contains(common::PASSWORD));
    // A later process is ann without logging in.
    assert_eq!(world.ok_json(&["whoami"])["username"], "ann");
    assert_eq!(world.ok_json(&["sessions"]).as_array().unwrap().len(), 1);
}

#[test]
fn two_databases_keep_two_sessions() {
    let world = World::new();
    world.register("ann");
    let other_db = world.dir.path().join("other.db");
    world
        .chat_with(&other_db, &world.state_dir())
        .args([
            "register",
            "--email",
            "bob@example.com",
            "--username",
            "bob",
            "--password-stdin",
        ])
        .write_stdin(format!("{}\n", common::PASSWORD))
        .assert()
        .success();
    assert_eq!(session_files(&world.state_dir()).len(), 2);
    assert_eq!(world.ok_json(&["whoami"])["username"], "ann");
    world
        .chat_with(&other_db, &world.state_dir())
        .args(["--json", "whoami"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"username\":\"bob\""));
}

#[test]
fn the_same_database_by_another_path_shares_the_session() {
    let world = World::new();
    world.register("ann");
    let roundabout = world.dir.path().join("state").join("..").join("chat.db");
    world
        .chat_with(&roundabout, &world.state_dir())
        .args(["--json", "whoami"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"username\":\"ann\""));
}

#[test]
fn logout_ends_the_session_for_every_process_that_holds_it() {
    let world = World::new();
    world.register("ann");
    // A second state directory holding the same session: another terminal,
    // another machine account, a copied file.
    let copy_dir = world.dir.path().join("state-copy");
    fs::create_dir_all(&copy_dir).unwrap();
    let original = session_files(&world.state_dir()).remove(0);
    let copy = copy_dir.join(original.file_name().unwrap());
    fs::copy(&original, &copy).unwrap();
    world
        .chat_with(&world.db(), &copy_dir)
        .args(["--json", "whoami"])
        .assert()
        .success();

    assert_eq!(world.ok_json(&["logout"])["logged_out"], true);
    assert!(session_files(&world.state_dir()).is_empty());
    assert_eq!(world.err_code(&["whoami"], 1), "not_logged_in");

    // The other holder is told to log in again, with the email.
    world
        .chat_with(&world.db(), &copy_dir)
        .arg("threads")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "log in again: chat login --email ann@example.com",
        ));
    // ... and the dead session file is gone, so the next command says why plainly.
    assert!(!copy.exists());
    world
        .chat_with(&world.db(), &copy_dir)
        .args(["--json", "threads"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not_logged_in"));
}

#[test]
fn a_revoked_session_gives_session_invalid_in_json() {
    let world = World::new();
    world.register("ann");
    let copy_dir = world.dir.path().join("state-copy");
    fs::create_dir_all(&copy_dir).unwrap();
    let original = session_files(&world.state_dir()).remove(0);
    fs::copy(&original, copy_dir.join(original.file_name().unwrap())).unwrap();
    world.ok_json(&["logout"]);
    let out = world
        .chat_with(&world.db(), &copy_dir)
        .args(["--json", "unread"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let value = common::json(&out);
    assert_eq!(value["error"]["code"], "session_invalid");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chat login --email ann@example.com")
    );
}

#[test]
fn logging_in_again_replaces_the_stored_session() {
    let world = World::new();
    world.register("ann");
    world.register("bob");
    assert_eq!(world.ok_json(&["whoami"])["username"], "bob");
    world.login("ann");
    assert_eq!(world.ok_json(&["whoami"])["username"], "ann");
    assert_eq!(session_files(&world.state_dir()).len(), 1);
    // The replaced sessions were ended, not left live: bob has none now.
    assert_eq!(world.ok_json(&["sessions"]).as_array().unwrap().len(), 1);
    world.login("bob");
    assert_eq!(world.ok_json(&["sessions"]).as_array().unwrap().len(), 1);
}

#[test]
fn without_db_or_chat_db_the_database_is_in_the_platform_data_dir() {
    let world = World::new();
    let mut cmd = world.chat();
    cmd.env_remove("CHAT_DB").env_remove("CHAT_STATE_DIR");
    let out = cmd
        .arg("demo")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let expected = world.home().join("data").join("chat").join("chat.db");
    assert!(expected.exists(), "no database at {}", expected.display());
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains(&expected.display().to_string())
    );
    // The session then goes to the platform state directory.
    let mut login = world.chat();
    login
        .env_remove("CHAT_DB")
        .env_remove("CHAT_STATE_DIR")
        .args(["login", "--email", "ann@example.com", "--password-stdin"])
        .write_stdin("demo-password\n")
        .assert()
        .success();
    assert_eq!(
        session_files(&world.home().join("state").join("chat")).len(),
        1
    );
}
