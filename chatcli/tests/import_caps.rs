//! Issue 12 item 1 through `chat import`: an account whose password hash
//! costs more to check than the caps comes in without login, and the
//! report names its entry (human output and `--json`).

mod common;

use common::World;

const DUMP: &str = r#"[
  {"model": "user.user", "pk": 4, "fields": {"password": "pbkdf2_sha256$10000000$seasalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "email": "d@example.com", "username": "d"}},
  {"model": "user.user", "pk": 5, "fields": {"password": "!unusable", "email": "e@example.com", "username": "e"}}
]"#;

#[test]
fn an_over_cap_hash_is_refused_by_entry_and_the_account_comes_in_without_login() {
    let world = World::new();
    let dump = world.dir.path().join("dump.json");
    std::fs::write(&dump, DUMP).unwrap();
    let dump = dump.to_str().unwrap();

    let report = world.ok_json(&["import", "--dry-run", dump]);
    assert_eq!(report["users_without_login"], 2, "{report}");
    let refused: Vec<&serde_json::Value> = report["accounts_without_login"]
        .as_array()
        .expect("named accounts")
        .iter()
        .filter(|account| account["reason"] == "password_over_caps")
        .collect();
    assert_eq!(refused.len(), 1, "{report}");
    assert_eq!(refused[0]["user_id"], 4, "{report}");
    assert!(
        refused[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("pbkdf2 rounds 10000000 are over the cap"),
        "{report}"
    );

    let text = world.ok_text(&["import", dump]);
    assert!(
        text.contains(
            "d (d@example.com, id 4): password hash costs more to check than allowed (pbkdf2 rounds"
        ),
        "{text}"
    );
    assert!(text.contains("set-password"), "{text}");
    world
        .chat()
        .args(["login", "--email", "d@example.com", "--password-stdin"])
        .write_stdin("any password at all\n")
        .assert()
        .failure()
        .stderr("error: wrong email or password\n");
}
