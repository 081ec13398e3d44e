//! Issue 12 item 2: `CHAT_INSECURE_FAST_PASSWORDS` is a test aid of debug
//! builds only. A release `chat` ignores it and hashes at the real cost.
//!
//! `cargo test` builds `chat` and this test in the same profile, so the
//! expectation follows `cfg!(debug_assertions)`: the debug run checks that
//! the variable works for the tests that rely on it, and
//! `cargo test --release -p chatcli --test insecure_env` (run by `.ci/run`)
//! checks that a release `chat` ignores it.

mod common;

use common::{PASSWORD, World};

/// The password hash `chat export` shows for `ann` after registering with
/// the variable set.
fn hash_registered_with_the_variable_set() -> String {
    let world = World::new();
    // World::chat sets CHAT_INSECURE_FAST_PASSWORDS=1.
    world
        .chat()
        .args([
            "register",
            "--password-stdin",
            "--username",
            "ann",
            "--email",
            "ann@example.com",
        ])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let out = world.chat().args(["export"]).assert().success();
    let dump: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    dump.as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["model"] == "user.user")
        .and_then(|entry| entry["fields"]["password"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn the_insecure_fast_setting_is_read_by_debug_builds_only() {
    let hash = hash_registered_with_the_variable_set();
    if cfg!(debug_assertions) {
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
    } else {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }
}
