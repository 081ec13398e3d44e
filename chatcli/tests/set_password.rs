//! Moving from the Django service: `set-password` for accounts imported
//! without a usable password.

mod common;
mod django_dump;

use assert_cmd::Command;
use common::{World, json};
use django_dump::{DJANGO_PASSWORD, login, world_with_small_dump};
use predicates::prelude::*;
use serde_json::json;
use std::path::Path;

/// A new password for bert (user 2), who was imported with an unusable one.
const NEW_PASSWORD: &str = "a new password for bert";

/// `chat [--json] set-password USER --password-stdin` with `password` on stdin.
fn set_password(world: &World, state: &Path, json: bool, user: &str, password: &str) -> Command {
    let mut cmd = world.chat_with(&world.db(), state);
    if json {
        cmd.arg("--json");
    }
    cmd.args(["set-password", user, "--password-stdin"])
        .write_stdin(format!("{password}\n"));
    cmd
}

/// `chat --json login` as `email`; the error code on failure, `None` on success.
fn login_error(world: &World, state: &Path, email: &str, password: &str) -> Option<String> {
    let output = world
        .chat_with(&world.db(), state)
        .args(["--json", "login", "--password-stdin", "--email", email])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    if output.status.success() {
        return None;
    }
    assert_eq!(output.status.code(), Some(1));
    Some(json(&output.stderr)["error"]["code"].as_str()?.to_string())
}

/// The error code of `chat --json whoami` with `state`'s stored session, or its username.
fn whoami(world: &World, state: &Path) -> Result<String, String> {
    let output = world
        .chat_with(&world.db(), state)
        .args(["--json", "whoami"])
        .output()
        .unwrap();
    if output.status.success() {
        Ok(json(&output.stdout)["username"]
            .as_str()
            .unwrap()
            .to_string())
    } else {
        Err(json(&output.stderr)["error"]["code"]
            .as_str()
            .unwrap()
            .to_string())
    }
}

#[test]
fn set_password_lets_an_account_imported_without_one_log_in() {
    let world = world_with_small_dump();
    let state = world.state_dir();
    // bert's Django password was unusable (`!`): nothing logs him in.
    for password in [DJANGO_PASSWORD, NEW_PASSWORD, "!unusable-in-django"] {
        assert_eq!(
            login_error(&world, &state, "bert@example.com", password).as_deref(),
            Some("invalid_credentials")
        );
    }

    // No login is needed to set it (nobody is logged in here).
    assert_eq!(whoami(&world, &state), Err("not_logged_in".into()));
    set_password(&world, &state, false, "2", NEW_PASSWORD)
        .assert()
        .success()
        .stderr("")
        .stdout(predicate::str::starts_with(
            "Password set for bert <bert@example.com> (user 2).",
        ))
        .stdout(predicate::str::contains(
            "they log in with it now: chat login --email bert@example.com\n",
        ));

    assert_eq!(
        login_error(&world, &state, "bert@example.com", NEW_PASSWORD),
        None
    );
    assert_eq!(whoami(&world, &state), Ok("bert".into()));
    // Only bert changed: alice keeps her Django password.
    let other_state = world.dir.path().join("other-state");
    assert_eq!(
        login_error(&world, &other_state, "alice@example.com", DJANGO_PASSWORD),
        None
    );

    // As JSON, and setting it again (a reset) works the same way.
    let out = set_password(&world, &state, true, "2", "yet another password")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out), json!({"user_id": 2, "password_set": true}));
    assert_eq!(
        login_error(&world, &state, "bert@example.com", NEW_PASSWORD).as_deref(),
        Some("invalid_credentials")
    );
    assert_eq!(
        login_error(&world, &state, "bert@example.com", "yet another password"),
        None
    );
}

#[test]
fn a_weak_password_is_refused_and_changes_nothing() {
    let world = world_with_small_dump();
    let state = world.state_dir();
    login(
        &world,
        &world.db(),
        &state,
        "alice@example.com",
        DJANGO_PASSWORD,
    );

    for (user, weak) in [("1", "short"), ("2", "short"), ("2", "")] {
        let out = set_password(&world, &state, true, user, weak)
            .assert()
            .code(1)
            .stdout("")
            .get_output()
            .stderr
            .clone();
        assert_eq!(
            json(&out)["error"]["code"],
            "weak_password",
            "{user} {weak:?}"
        );
    }

    // alice's session lives on and her old password still works; bert
    // still cannot log in.
    assert_eq!(whoami(&world, &state), Ok("alice".into()));
    let other_state = world.dir.path().join("other-state");
    assert_eq!(
        login_error(&world, &other_state, "alice@example.com", DJANGO_PASSWORD),
        None
    );
    assert_eq!(
        login_error(&world, &other_state, "bert@example.com", "short").as_deref(),
        Some("invalid_credentials")
    );
}

#[test]
fn set_password_finds_the_user_by_username_or_email() {
    let world = world_with_small_dump();
    let state = world.state_dir();

    // By username (bert, user 2), then by email in another case (carl, user 3).
    for (query, email, id) in [
        ("bert", "bert@example.com", 2),
        ("CARL@Example.com", "carl@example.com", 3),
    ] {
        let out = set_password(&world, &state, true, query, NEW_PASSWORD)
            .assert()
            .success()
            .stderr("")
            .get_output()
            .stdout
            .clone();
        assert_eq!(json(&out), json!({"user_id": id, "password_set": true}));
        assert_eq!(login_error(&world, &state, email, NEW_PASSWORD), None);
    }
    // Only they changed: alice keeps her Django password.
    assert_eq!(
        login_error(&world, &state, "alice@example.com", DJANGO_PASSWORD),
        None
    );
    set_password(&world, &state, false, "alice@example.com", NEW_PASSWORD)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Password set for alice <alice@example.com> (user 1).",
        ));
}

#[test]
fn an_unknown_user_is_user_not_found_before_the_password_is_read() {
    let world = world_with_small_dump();
    let state = world.state_dir();

    for user in [
        "99",
        "0",
        "nobody",
        "nobody@example.com",
        "bert@example.org",
    ] {
        let out = set_password(&world, &state, true, user, NEW_PASSWORD)
            .assert()
            .code(1)
            .stdout("")
            .get_output()
            .stderr
            .clone();
        assert_eq!(json(&out)["error"]["code"], "user_not_found", "{user}");
    }
    set_password(&world, &state, false, "nobody", NEW_PASSWORD)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: user not found"));
    // The user is looked up first: with no password on standard input at
    // all, an unknown user is still `user_not_found`, not a usage error.
    let out = world
        .chat()
        .args(["--json", "set-password", "nobody", "--password-stdin"])
        .write_stdin("")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(json(&out)["error"]["code"], "user_not_found");

    // The password is never an argument.
    world
        .chat()
        .args(["set-password", "bert", NEW_PASSWORD])
        .assert()
        .code(2);
    assert_eq!(
        login_error(&world, &state, "bert@example.com", NEW_PASSWORD).as_deref(),
        Some("invalid_credentials")
    );
}

#[test]
fn set_password_ends_every_session_of_the_user() {
    let world = world_with_small_dump();
    // alice is logged in twice (two stored local sessions), carl once.
    let alice_here = world.state_dir();
    let alice_there = world.dir.path().join("alice-there");
    let carl = world.dir.path().join("carl");
    login(
        &world,
        &world.db(),
        &alice_here,
        "alice@example.com",
        DJANGO_PASSWORD,
    );
    login(
        &world,
        &world.db(),
        &alice_there,
        "alice@example.com",
        DJANGO_PASSWORD,
    );
    login(
        &world,
        &world.db(),
        &carl,
        "carl@example.com",
        DJANGO_PASSWORD,
    );

    // Run from alice's own state directory: her stored session plays no part.
    set_password(&world, &alice_here, false, "1", NEW_PASSWORD)
        .assert()
        .success();

    for state in [&alice_here, &alice_there] {
        assert_eq!(whoami(&world, state), Err("session_invalid".into()));
    }
    assert_eq!(whoami(&world, &carl), Ok("carl".into()));
    assert_eq!(
        login_error(&world, &alice_here, "alice@example.com", DJANGO_PASSWORD).as_deref(),
        Some("invalid_credentials")
    );
    assert_eq!(
        login_error(&world, &alice_here, "alice@example.com", NEW_PASSWORD),
        None
    );
    assert_eq!(whoami(&world, &alice_here), Ok("alice".into()));
}

#[test]
fn in_a_piped_shell_the_password_is_the_next_line() {
    let world = world_with_small_dump();
    let script = format!(
        "set-password 2 --password-stdin\n{NEW_PASSWORD}\n\
         login --email bert@example.com --password-stdin\n{NEW_PASSWORD}\n\
         whoami\n"
    );
    world
        .chat()
        .write_stdin(script)
        .assert()
        .success()
        .stderr("")
        .stdout(predicate::str::contains(
            "Password set for bert <bert@example.com> (user 2).",
        ))
        .stdout(predicate::str::contains("bert <bert@example.com> (user 2)"));
}
