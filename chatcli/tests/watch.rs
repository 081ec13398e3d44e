//! `chat watch` through processes: a watcher process prints, as they
//! happen, what other `chat` processes do to its user (issue 15).

mod common;

use common::{PASSWORD, World};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `chat ARGS` as a child process with piped stdout and stderr.
fn spawn(world: &World, state_dir: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("chat"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", world.home())
        .env("CHAT_DB", world.db())
        .env("CHAT_STATE_DIR", state_dir)
        .env("CHAT_INSECURE_FAST_PASSWORDS", "1")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Ann (this world's state) and bob (his own state directory), with a thread.
fn two_users(world: &World) -> (std::path::PathBuf, i64) {
    world.register("bob");
    let bob_state = world.dir.path().join("bob-state");
    world
        .chat_with(&world.db(), &bob_state)
        .args(["login", "--password-stdin", "--email", "bob@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    world.register("ann");
    let thread = world.ok_json(&["open", "bob"])["id"].as_i64().unwrap();
    (bob_state, thread)
}

/// Starts `chat watch` as bob and waits for its "Watching" line.
fn watch(
    world: &World,
    bob_state: &Path,
    args: &[&str],
) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = spawn(world, bob_state, args);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("Watching for changes"), "{line:?}");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

fn next_line(stdout: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

#[test]
fn watch_prints_incoming_messages_receipts_and_deleted_threads_as_they_happen() {
    let world = World::new();
    let (bob_state, thread) = two_users(&world);
    let (mut child, mut stdout) = watch(&world, &bob_state, &["watch", "--count", "3"]);

    world.ok_json(&["send", &thread.to_string(), "hello bob"]);
    assert_eq!(
        next_line(&mut stdout),
        format!("[thread {thread}] ann: hello bob")
    );
    // Bob's own message (another of his sessions) is not news to him.
    let own = world
        .chat_with(&world.db(), &bob_state)
        .args(["--json", "send", &thread.to_string(), "hi ann"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let own: Value = serde_json::from_slice(&own).unwrap();
    world.ok_json(&["read", "--thread", &thread.to_string()]);
    assert_eq!(
        next_line(&mut stdout),
        format!(
            "[thread {thread}] ann read your messages up to {}",
            own["id"]
        )
    );
    world.ok_json(&["delete", &thread.to_string(), "--yes"]);
    assert_eq!(
        next_line(&mut stdout),
        format!("[thread {thread}] ann deleted the thread")
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn watch_json_prints_one_flushed_object_per_change() {
    let world = World::new();
    let (bob_state, thread) = two_users(&world);
    let (mut child, mut stdout) = watch(&world, &bob_state, &["--json", "watch", "--count", "2"]);
    let sent = world.ok_json(&["send", &thread.to_string(), "line one"]);
    // Read before the next change happens: the line was flushed at once.
    let first: Value = serde_json::from_str(&next_line(&mut stdout)).unwrap();
    assert_eq!(first["kind"], "message_sent");
    assert_eq!(first["thread_id"], thread);
    assert_eq!(first["actor_id"], sent["sender_id"]);
    assert_eq!(first["message"]["text"], "line one");
    assert_eq!(first["message"]["id"], sent["id"]);
    world.ok_json(&["delete", &thread.to_string(), "--yes"]);
    let second: Value = serde_json::from_str(&next_line(&mut stdout)).unwrap();
    assert_eq!(second["kind"], "thread_deleted");
    assert!(second["cursor"].as_i64().unwrap() > first["cursor"].as_i64().unwrap());
    assert!(child.wait().unwrap().success());
}

#[test]
fn watch_needs_a_login() {
    let world = World::new();
    world.register("ann");
    world.ok_text(&["logout"]);
    assert_eq!(world.err_code(&["watch"], 1), "not_logged_in");
}
