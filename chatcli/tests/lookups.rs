//! A USER on the command line names exactly one account, or nothing is
//! done (issue 12, item 4), through the `chat` process.

mod common;

use common::*;

/// ann (1), bob (2), a user named `2` (3) and a user named `l` (4), the
/// look-alike key of `1`; logged in as ann.
fn world() -> World {
    let world = World::new();
    for (name, id) in [("ann", 1), ("bob", 2), ("2", 3), ("l", 4)] {
        assert_eq!(world.register(name)["user"]["id"], id, "{name}");
    }
    world.login("ann");
    world
}

/// Runs `chat ARGS` (human output), expects exit 1 and nothing on stdout,
/// returns stderr.
fn err_text(world: &World, args: &[&str]) -> String {
    let out = world
        .chat()
        .args(args)
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    String::from_utf8(out).expect("utf-8")
}

fn thread_count(world: &World) -> usize {
    world.ok_json(&["threads"])["items"]
        .as_array()
        .expect("items")
        .len()
}

#[test]
fn send_to_a_username_made_of_digits_and_another_id_sends_nothing() {
    let world = world();
    // Before the fix: delivered to the user named `2` (id 3), not to user 2.
    assert_eq!(
        world.err_code(&["send", "--to", "2", "hello"], 1),
        "ambiguous_user"
    );
    let message = err_text(&world, &["send", "--to", "2", "hello", "there"]);
    for line in [
        "error: \"2\" could name 2 different accounts, so nothing was done; type one of:",
        "user 3 (2):    chat send --to username:2 'hello there'",
        "user 2 (bob):  chat send --to id:2 'hello there'",
    ] {
        assert!(message.contains(line), "{line:?} missing from:\n{message}");
    }
    assert_eq!(thread_count(&world), 0, "nothing was sent or opened");
    // The command it offers goes to bob.
    let sent = world.ok_json(&["send", "--to", "id:2", "hello there"]);
    let opened = world.ok_json(&["open", "bob"]);
    assert_eq!(opened["created"], false);
    assert_eq!(opened["id"], sent["thread_id"]);
    assert_eq!(opened["other"]["id"], 2);
}

#[test]
fn send_to_a_number_never_reaches_its_look_alike_username() {
    let world = world();
    world.login("bob");
    // Before the fix: delivered to `l`, whose look-alike key is `1`.
    let sent = world.ok_json(&["send", "--to", "1", "hi ann"]);
    let opened = world.ok_json(&["open", "id:1"]);
    assert_eq!(opened["created"], false);
    assert_eq!(opened["id"], sent["thread_id"]);
    assert_eq!(opened["other"]["username"], "ann");
    assert_eq!(world.err_code(&["open", "username:1"], 1), "user_not_found");
}

#[test]
fn open_takes_each_explicit_form_and_refuses_an_ambiguous_one() {
    let world = world();
    assert_eq!(world.err_code(&["open", "2"], 1), "ambiguous_user");
    let message = err_text(&world, &["open", "2"]);
    assert!(message.contains("chat open id:2\n"), "{message}");
    assert!(message.contains("chat open username:2\n"), "{message}");
    assert_eq!(thread_count(&world), 0);
    for (user, id) in [
        ("id:2", 2),
        ("username:2", 3),
        ("email:l@example.com", 4),
        ("USERNAME:BOB", 2),
        ("l", 4),
        ("bob@example.com", 2),
    ] {
        assert_eq!(world.ok_json(&["open", user])["other"]["id"], id, "{user}");
    }
}

#[test]
fn unknown_and_malformed_users_are_refused() {
    let world = world();
    for user in [
        "nobody",
        "99",
        "id:99",
        "username:nobody",
        "email:no@example.com",
    ] {
        assert_eq!(
            world.err_code(&["open", user], 1),
            "user_not_found",
            "{user}"
        );
        assert_eq!(
            world.err_code(&["send", "--to", user, "hi"], 1),
            "user_not_found",
            "{user}"
        );
    }
    assert_eq!(world.err_code(&["open", "id:x"], 1), "invalid_argument");
    assert_eq!(thread_count(&world), 0);
}

#[test]
fn set_password_refuses_an_ambiguous_user_before_reading_a_password() {
    let world = world();
    let new_password = "a brand new password";
    let out = world
        .chat()
        .args(["set-password", "2", "--password-stdin"])
        .write_stdin(format!("{new_password}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let message = String::from_utf8(out).expect("utf-8");
    assert!(
        message.contains("user 2 (bob):  chat set-password id:2 --password-stdin"),
        "{message}"
    );
    // Neither password changed: both still log in with the old one.
    world.login("bob");
    world.login("2");
    // The explicit form sets user 3's (named `2`).
    let set = world
        .chat()
        .args(["--json", "set-password", "username:2", "--password-stdin"])
        .write_stdin(format!("{new_password}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&set)["user_id"], 3);
    world.login("bob");
}
