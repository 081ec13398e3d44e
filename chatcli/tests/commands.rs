//! Every command as a process, in human and JSON modes, with its refusals.

mod common;

use common::{PASSWORD, World, json};
use predicates::prelude::*;

/// ann and bob registered; ann is logged in (registered last); bob's thread with ann exists.
fn ann_and_bob() -> (World, i64) {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let opened = world.ok_json(&["open", "bob"]);
    (world, opened["id"].as_i64().expect("thread id"))
}

#[test]
fn register_logs_in_and_reports_the_user() {
    let world = World::new();
    let value = world.register("ann");
    assert_eq!(value["user"]["username"], "ann");
    assert_eq!(value["user"]["email"], "ann@example.com");
    assert!(value["session_id"].is_string());
    assert_eq!(world.ok_json(&["whoami"])["username"], "ann");
    let text = world.ok_text(&["whoami"]);
    assert!(text.starts_with("ann <ann@example.com>"), "{text}");
}

#[test]
fn register_refusals_have_their_codes_and_change_nothing() {
    let world = World::new();
    world.register("ann");
    let taken = |args: &[&str], stdin: &str| {
        let out = world
            .chat()
            .args(["--json", "register", "--password-stdin"])
            .args(args)
            .write_stdin(stdin.to_string())
            .assert()
            .code(1)
            .get_output()
            .stderr
            .clone();
        json(&out)["error"]["code"].as_str().unwrap().to_string()
    };
    let line = format!("{PASSWORD}\n");
    assert_eq!(
        taken(&["--email", "ANN@example.com", "--username", "x"], &line),
        "email_taken"
    );
    assert_eq!(
        taken(&["--email", "z@example.com", "--username", "Ann"], &line),
        "username_taken"
    );
    assert_eq!(
        taken(&["--email", "nope", "--username", "y"], &line),
        "invalid_email"
    );
    assert_eq!(
        taken(&["--email", "y@example.com", "--username", "a b"], &line),
        "invalid_username"
    );
    assert_eq!(
        taken(&["--email", "y@example.com", "--username", "y"], "short\n"),
        "weak_password"
    );
    // Still logged in as ann, and only ann exists.
    assert_eq!(world.ok_json(&["whoami"])["username"], "ann");
    assert_eq!(world.ok_json(&["users"]).as_array().unwrap().len(), 1);
}

#[test]
fn passwords_are_never_arguments_and_need_a_terminal_or_stdin() {
    let world = World::new();
    // No such option: a usage error.
    world
        .chat()
        .args(["login", "--email", "a@example.com", "--password", "x"])
        .assert()
        .code(2);
    // Not a terminal and no --password-stdin: refused as usage, nothing asked.
    let code = world.err_code(&["login", "--email", "a@example.com"], 2);
    assert_eq!(code, "usage");
}

#[test]
fn login_with_a_wrong_password_is_invalid_credentials() {
    let world = World::new();
    world.register("ann");
    let out = world
        .chat()
        .args([
            "--json",
            "login",
            "--email",
            "ann@example.com",
            "--password-stdin",
        ])
        .write_stdin("wrong password\n")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(json(&out)["error"]["code"], "invalid_credentials");
    world
        .chat()
        .args(["login", "--email", "nobody@example.com", "--password-stdin"])
        .write_stdin("wrong password\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong email or password"));
}

#[test]
fn commands_need_a_login() {
    let world = World::new();
    for args in [
        &["whoami"][..],
        &["users"],
        &["threads"],
        &["open", "bob"],
        &["send", "1", "hi"],
        &["messages", "1"],
        &["read", "1"],
        &["unread"],
        &["delete", "1", "--yes"],
        &["sessions"],
        &["logout"],
    ] {
        assert_eq!(world.err_code(args, 1), "not_logged_in", "{args:?}");
    }
    world
        .chat()
        .arg("threads")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("chat login --email"));
}

#[test]
fn users_finds_by_prefix() {
    let world = World::new();
    world.register("bob");
    world.register("bobby");
    world.register("ann");
    let found = world.ok_json(&["users", "bo"]);
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "bobby"]);
    let text = world.ok_text(&["users", "ann"]);
    assert!(text.lines().next().unwrap().starts_with("ID"), "{text}");
    assert!(text.contains("ann@example.com"), "{text}");
    assert_eq!(
        world.err_code(&["users", "--limit", "0"], 1),
        "invalid_argument"
    );
}

#[test]
fn open_creates_once_and_resolves_username_email_or_id() {
    let world = World::new();
    let bob = world.register("bob");
    world.register("ann");
    let first = world.ok_json(&["open", "bob"]);
    assert_eq!(first["created"], true);
    assert_eq!(first["other"]["username"], "bob");
    let by_email = world.ok_json(&["open", "BOB@example.com"]);
    assert_eq!(by_email["created"], false);
    assert_eq!(by_email["id"], first["id"]);
    let bob_id = bob["user"]["id"].as_i64().unwrap().to_string();
    assert_eq!(world.ok_json(&["open", &bob_id])["id"], first["id"]);
    assert!(
        world
            .ok_text(&["open", "bob"])
            .contains("with bob (existing)")
    );
    assert_eq!(world.err_code(&["open", "nobody"], 1), "user_not_found");
    assert_eq!(world.err_code(&["open", "ann"], 1), "duplicate_participant");
}

#[test]
fn send_to_a_thread_or_a_user_and_list_messages() {
    let (world, thread) = ann_and_bob();
    let t = thread.to_string();
    let sent = world.ok_json(&["send", &t, "hello", "there"]);
    assert_eq!(sent["text"], "hello there");
    assert_eq!(sent["thread_id"], thread);
    let to = world.ok_json(&["send", "--to", "bob", "second one"]);
    assert_eq!(to["thread_id"], thread);
    assert!(
        world
            .ok_text(&["send", &t, "-3", "degrees"])
            .starts_with("Sent message")
    );

    let page = world.ok_json(&["messages", &t]);
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["hello there", "second one", "-3 degrees"]);
    let last_id = page["items"][2]["id"].as_i64().unwrap().to_string();
    let older = world.ok_json(&["messages", &t, "--before", &last_id, "--limit", "1"]);
    assert_eq!(older["items"][0]["text"], "second one");
    assert_eq!(older["has_more"], true);
    let text = world.ok_text(&["messages", &t, "--before", &last_id, "--limit", "1"]);
    assert!(
        text.contains("you") && text.contains("second one"),
        "{text}"
    );
    assert!(text.contains("Older: chat messages"), "{text}");

    assert_eq!(world.err_code(&["send", &t, "   "], 1), "invalid_text");
    assert_eq!(
        world.err_code(&["send", "999", "hi"], 1),
        "thread_not_found"
    );
    assert_eq!(world.err_code(&["send", "bob", "hi"], 2), "usage");
    assert_eq!(
        world.err_code(&["send", "--to", "nobody", "hi"], 1),
        "user_not_found"
    );
    assert_eq!(world.err_code(&["messages", "999"], 1), "thread_not_found");
    assert_eq!(
        world.err_code(&["messages", &t, "--limit", "501"], 1),
        "invalid_argument"
    );
    assert_eq!(world.err_code(&["messages", "x"], 2), "usage");
    assert_eq!(world.err_code(&["send", &t], 2), "usage");
}

#[test]
fn unread_threads_and_read_from_the_recipient_side() {
    let (world, thread) = ann_and_bob();
    let t = thread.to_string();
    let first = world.ok_json(&["send", &t, "one"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    world.ok_json(&["send", &t, "two"]);
    // ann's own messages never count for her, and she cannot mark them read.
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 0);
    assert_eq!(world.err_code(&["read", &first], 1), "not_recipient");

    world.login("bob");
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 2);
    assert_eq!(world.ok_text(&["unread"]), "2 unread messages.\n");
    let inbox = world.ok_json(&["threads"]);
    assert_eq!(inbox["items"][0]["unread_count"], 2);
    assert_eq!(inbox["items"][0]["other"]["username"], "ann");
    let text = world.ok_text(&["threads"]);
    assert!(
        text.contains("ann") && text.contains("* 2 new") && text.contains("just now"),
        "{text}"
    );
    assert!(world.ok_text(&["messages", &t]).contains("* new"));

    let read = world.ok_json(&["read", &first]);
    assert!(read["read_at"].is_string());
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 1);
    let marked = world.ok_json(&["read", "--thread", &t]);
    assert_eq!(marked["marked_read"], 1);
    assert_eq!(
        world.ok_text(&["read", "--thread", &t]),
        format!("Marked 0 messages read in thread {t}.\n")
    );
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 0);
    assert_eq!(world.err_code(&["read", "999"], 1), "message_not_found");
    assert_eq!(world.err_code(&["read"], 2), "usage");
}

#[test]
fn outsiders_are_refused() {
    let (world, thread) = ann_and_bob();
    let t = thread.to_string();
    world.ok_json(&["send", &t, "private"]);
    world.register("eve");
    assert_eq!(world.err_code(&["messages", &t], 1), "not_participant");
    assert_eq!(world.err_code(&["send", &t, "hi"], 1), "not_participant");
    assert_eq!(
        world.err_code(&["delete", &t, "--yes"], 1),
        "not_participant"
    );
    assert_eq!(
        world.err_code(&["read", "--thread", &t], 1),
        "not_participant"
    );
}

#[test]
fn delete_needs_yes_off_a_terminal() {
    let (world, thread) = ann_and_bob();
    let t = thread.to_string();
    world.ok_json(&["send", &t, "soon gone"]);
    assert_eq!(world.err_code(&["delete", &t], 2), "usage");
    assert_eq!(
        world.ok_json(&["messages", &t])["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        world.ok_json(&["delete", &t, "--yes"])["deleted_thread_id"],
        thread
    );
    assert_eq!(world.err_code(&["messages", &t], 1), "thread_not_found");
    assert_eq!(
        world.err_code(&["delete", &t, "--yes"], 1),
        "thread_not_found"
    );
    assert_eq!(
        world.ok_json(&["threads"])["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert!(world.ok_text(&["threads"]).contains("No threads yet"));
}

#[test]
fn sessions_lists_mine_with_the_current_marked() {
    let world = World::new();
    world.register("ann");
    // A second session, kept by another state directory.
    world
        .chat_with(&world.db(), &world.dir.path().join("elsewhere"))
        .args(["login", "--email", "ann@example.com", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let sessions = world.ok_json(&["sessions"]);
    let list = sessions.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let text = world.ok_text(&["sessions"]);
    assert!(
        text.contains("in 29 days") || text.contains("in 30 days"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with('*')).count(),
        1,
        "{text}"
    );
}

#[test]
fn demo_is_idempotent_and_its_users_can_log_in() {
    let world = World::new();
    let first = world.ok_json(&["demo"]);
    assert_eq!(first["created_users"], 3);
    assert_eq!(first["created_threads"], 2);
    let again = world.ok_json(&["demo"]);
    assert_eq!(again["created_users"], 0);
    assert_eq!(again["created_threads"], 0);
    let text = world.ok_text(&["demo"]);
    assert!(
        text.contains("chat login --email ann@example.com"),
        "{text}"
    );
    assert!(text.contains("public demo value"), "{text}");

    let password = first["password"].as_str().unwrap();
    world
        .chat()
        .args(["login", "--email", "ann@example.com", "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
    let inbox = world.ok_json(&["threads"]);
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2);
    // bob's last line and cyd's question; ann's answer was read by bob.
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 2);
    // The demo's own sessions were ended: only this login is live.
    assert_eq!(world.ok_json(&["sessions"]).as_array().unwrap().len(), 1);
}

#[test]
fn usage_errors_exit_2_in_both_modes() {
    let world = World::new();
    world
        .chat()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("frobnicate"));
    assert_eq!(world.err_code(&["frobnicate"], 2), "usage");
    world
        .chat()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage: chat"));
    world
        .chat()
        .args(["help", "send"])
        .assert()
        .success()
        .stdout(predicate::str::contains("send --to bob"));
}

#[test]
fn completions_print_a_script() {
    let world = World::new();
    for shell in ["bash", "zsh", "fish"] {
        world
            .chat()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("register"));
    }
    world.chat().args(["completions", "tcsh"]).assert().code(2);
    // Printing completions never touches the database.
    assert!(!world.db().exists());
}

#[test]
fn storage_failures_are_reported_as_storage() {
    let world = World::new();
    std::fs::write(
        world.db(),
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    assert_eq!(world.err_code(&["demo"], 1), "storage");
}
