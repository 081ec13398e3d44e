//! Moving from the Django service: `import` as a process.

mod common;
mod django_dump;

use common::{World, json};
use django_dump::{DJANGO_PASSWORD, export, login, small_dump, text, thread, write_dump};
use predicates::prelude::*;
use serde_json::json;
use std::path::Path;

#[test]
fn import_summarises_for_people_and_reports_as_json() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    let out = world
        .chat()
        .args(["import", text(&dump)])
        .assert()
        .success()
        // Not a terminal: no progress bar, nothing on stderr.
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let human = String::from_utf8(out).unwrap();
    assert!(
        human.starts_with("Imported 3 users, 2 threads, 3 messages.\n"),
        "{human}"
    );
    assert!(
        human.contains("Skipped (other models): 1 auth.group, 1 sessions.session."),
        "{human}"
    );
    assert!(
        human.contains("1 account cannot log in until a password is set"),
        "{human}"
    );

    let other = World::new();
    let report = other.ok_json(&["import", text(&dump)]);
    assert_eq!(
        report,
        json!({
            "users": 3, "users_without_login": 1,
            "accounts_without_login": [{
                "user_id": 2, "username": "bert", "email": "bert@example.com",
                "reason": "unusable_password"
            }],
            "threads": 2, "threads_merged": 0,
            "messages": 3, "skipped": {"auth.group": 1, "sessions.session": 1},
            "dry_run": false
        })
    );
    // The imported users log in with their Django passwords; bert cannot.
    login(
        &other,
        &other.db(),
        &other.state_dir(),
        "alice@example.com",
        DJANGO_PASSWORD,
    );
    let threads = other.ok_json(&["threads"]);
    let ids: Vec<i64> = threads["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{threads}");
    assert!(ids.contains(&10) && ids.contains(&11), "{threads}");
    // 100 is her own; 101 and 102, sent to her, are unread.
    assert_eq!(other.ok_json(&["unread"])["unread_count"], 2);
    let out = other
        .chat()
        .args([
            "--json",
            "login",
            "--password-stdin",
            "--email",
            "bert@example.com",
        ])
        .write_stdin(format!("{DJANGO_PASSWORD}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(json(&out)["error"]["code"], "invalid_credentials");
}

#[test]
fn import_reads_standard_input() {
    let world = World::new();
    let dump = serde_json::to_vec(&small_dump()).unwrap();
    let out = world
        .chat()
        .args(["--json", "import", "-"])
        .write_stdin(dump)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["messages"], 3);
}

#[test]
fn a_dry_run_reports_and_changes_nothing() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    let before = export(&world, &world.db());
    let report = world.ok_json(&["import", "--dry-run", text(&dump)]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["users"], 3);
    assert_eq!(report["messages"], 3);
    let human = world.ok_text(&["import", text(&dump), "--dry-run"]);
    assert!(
        human.starts_with("Dry run: nothing was written. The import would add 3 users"),
        "{human}"
    );
    assert_eq!(export(&world, &world.db()), before);
    // No user came in, so the import for real still finds every pk free.
    world
        .chat()
        .args(["login", "--password-stdin", "--email", "alice@example.com"])
        .write_stdin(format!("{DJANGO_PASSWORD}\n"))
        .assert()
        .code(1);
    assert_eq!(world.ok_json(&["import", text(&dump)])["dry_run"], false);
    assert_ne!(export(&world, &world.db()), before);
}

#[test]
fn a_malformed_file_is_invalid_import_and_imports_nothing() {
    let world = World::new();
    let before = export(&world, &world.db());
    // A bad entry after good ones: the good ones are rolled back too.
    let mut entries = small_dump();
    entries.push(thread(12, &[1, 2, 3]));
    let bad_thread = write_dump(&world, "bad-thread.json", &entries);
    let out = world
        .chat()
        .args(["--json", "import", text(&bad_thread)])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let error = json(&out);
    assert_eq!(error["error"]["code"], "invalid_import");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("chat.thread pk 12"), "{message}");

    // Cut off in the middle of the JSON.
    let whole = serde_json::to_string(&small_dump()).unwrap();
    let truncated = world.dir.path().join("truncated.json");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    assert_eq!(
        world.err_code(&["import", text(&truncated)], 1),
        "invalid_import"
    );
    world
        .chat()
        .args(["import", text(&truncated)])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot import:"));

    assert_eq!(export(&world, &world.db()), before);
    let missing = world.dir.path().join("missing.json");
    assert_eq!(world.err_code(&["import", text(&missing)], 1), "io");
}

#[test]
fn the_fixture_imports_and_its_users_log_in_with_their_django_passwords() {
    // The project's dump in the original service's shape (fixtures/README.md).
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/db_dump.json");
    let world = World::new();
    let report = world.ok_json(&["import", text(&seed)]);
    assert_eq!(report["users"], 3, "{report}");
    // At the real cost: the insecure test cost never replaces a PBKDF2 hash.
    let out = world
        .chat()
        .env_remove("CHAT_INSECURE_FAST_PASSWORDS")
        .args([
            "--json",
            "login",
            "--password-stdin",
            "--email",
            "testlogin@example.com",
        ])
        .write_stdin("password123\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["user"]["email"], "testlogin@example.com");
    assert_eq!(world.ok_json(&["whoami"])["username"], "testlogin_unique1");
    // The hash was rewritten as argon2id: the old password still works.
    let hashes = String::from_utf8(export(&world, &world.db())).unwrap();
    assert!(hashes.contains("$argon2id$"), "{hashes}");
    login(
        &world,
        &world.db(),
        &world.state_dir(),
        "testlogin@example.com",
        "password123",
    );
}
