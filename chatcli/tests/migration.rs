//! Moving from the Django service: `import`, `export` and `backup` as processes.

mod common;

use assert_cmd::Command;
use common::{World, json};
use predicates::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A known Django hash of the password `lètmein`.
const DJANGO_HASH: &str =
    "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";
const DJANGO_PASSWORD: &str = "lètmein";

fn user(pk: i64, username: &str, password: &str) -> Value {
    json!({
        "model": "user.user",
        "pk": pk,
        "fields": {
            "password": password,
            "last_login": null,
            "is_superuser": false,
            "email": format!("{username}@example.com"),
            "username": username,
            "first_name": "",
            "last_name": "",
            "is_staff": false,
            "is_active": true,
            "date_joined": "2024-01-02T03:04:05.678Z",
            "groups": [],
            "user_permissions": []
        }
    })
}

fn thread(pk: i64, participants: &[i64]) -> Value {
    json!({
        "model": "chat.thread",
        "pk": pk,
        "fields": {
            "participants": participants,
            "created": "2024-02-01T10:00:00Z",
            "updated": "2024-02-01T10:00:00Z"
        }
    })
}

fn message(pk: i64, thread: i64, sender: i64, text: &str, is_read: bool) -> Value {
    json!({
        "model": "chat.message",
        "pk": pk,
        "fields": {
            "thread": thread,
            "sender": sender,
            "text": text,
            "created": format!("2024-02-01T10:{:02}:00Z", pk % 60),
            "is_read": is_read
        }
    })
}

/// alice and carl can log in (with [`DJANGO_PASSWORD`]), bert cannot;
/// alice talks with bert (thread 10) and with carl (thread 11); two
/// entries of other models.
fn small_dump() -> Vec<Value> {
    vec![
        json!({"model": "auth.group", "pk": 1, "fields": {"name": "staff", "permissions": []}}),
        user(1, "alice", DJANGO_HASH),
        user(2, "bert", "!unusable-in-django"),
        user(3, "carl", DJANGO_HASH),
        thread(10, &[1, 2]),
        thread(11, &[1, 3]),
        message(100, 10, 1, "hi bert", true),
        message(101, 10, 2, "hi alice", false),
        message(102, 11, 3, "alice, lunch?", false),
        json!({"model": "sessions.session", "pk": "abc", "fields": {"session_data": "x"}}),
    ]
}

/// A world whose database holds `small_dump()`, imported through the CLI.
fn world_with_small_dump() -> World {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world
        .chat()
        .args(["import", text(&dump)])
        .assert()
        .success();
    world
}

fn write_dump(world: &World, name: &str, entries: &[Value]) -> PathBuf {
    let path = world.dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(entries).unwrap()).unwrap();
    path
}

fn login(world: &World, db: &Path, state: &Path, email: &str, password: &str) {
    world
        .chat_with(db, state)
        .args(["login", "--password-stdin", "--email", email])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
}

/// `chat export` (Django JSON to stdout) of `db`.
fn export(world: &World, db: &Path) -> Vec<u8> {
    world
        .chat_with(db, &world.state_dir())
        .arg("export")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

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

#[test]
fn a_django_export_round_trips_byte_for_byte() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world.ok_json(&["import", text(&dump)]);
    // Live data on top of the imported data.
    login(
        &world,
        &world.db(),
        &world.state_dir(),
        "carl@example.com",
        DJANGO_PASSWORD,
    );
    world.ok_json(&["send", "11", "yes, at noon"]);
    world.ok_json(&["read", "--thread", "11"]);

    let first = export(&world, &world.db());
    let exported = world.dir.path().join("export.json");
    std::fs::write(&exported, &first).unwrap();
    let second_db = world.dir.path().join("second.db");
    world
        .chat_with(&second_db, &world.state_dir())
        .args(["--json", "import", text(&exported)])
        .assert()
        .success();
    assert_eq!(export(&world, &second_db), first);
    // --out writes the same bytes as standard output.
    let out_file = world.dir.path().join("out.json");
    let value = world.ok_json(&["export", "--out", text(&out_file)]);
    assert_eq!(value["format"], "django");
    assert_eq!(value["bytes"], first.len());
    assert_eq!(std::fs::read(&out_file).unwrap(), first);
}

#[test]
fn an_ndjson_export_needs_a_login_and_holds_only_your_data() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world.ok_json(&["import", text(&dump)]);
    assert_eq!(
        world.err_code(&["export", "--format", "ndjson"], 1),
        "not_logged_in"
    );
    login(
        &world,
        &world.db(),
        &world.state_dir(),
        "carl@example.com",
        DJANGO_PASSWORD,
    );
    for json_flag in [false, true] {
        let mut cmd = world.chat();
        if json_flag {
            cmd.arg("--json");
        }
        let out = cmd
            .args(["export", "--format", "ndjson"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["thread", "message"], "{lines:?}");
        assert_eq!(lines[0]["id"], 11);
        assert_eq!(lines[0]["other"]["username"], "alice");
        assert_eq!(lines[1]["text"], "alice, lunch?");
        assert!(
            !lines.iter().any(|l| l.to_string().contains("hi bert")),
            "{lines:?}"
        );
    }
}

#[test]
fn export_out_never_overwrites_and_leaves_nothing_half_written() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world.ok_json(&["import", text(&dump)]);
    let dir = world.dir.path().join("exports");
    std::fs::create_dir(&dir).unwrap();
    let kept = dir.join("kept.json");
    std::fs::write(&kept, "keep me").unwrap();
    assert_eq!(
        world.err_code(&["export", "--out", text(&kept)], 1),
        "invalid_argument"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "keep me");
    // A directory is not replaced either.
    assert_eq!(
        world.err_code(&["export", "--out", text(&dir)], 1),
        "invalid_argument"
    );
    // An empty file is refused too, and kept.
    let empty = dir.join("empty.json");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        world.err_code(&["export", "--out", text(&empty)], 1),
        "invalid_argument"
    );
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
    // A failed export (not logged in for ndjson) leaves no file, not even a temporary one.
    let failed = dir.join("failed.ndjson");
    assert_eq!(
        world.err_code(&["export", "--format", "ndjson", "--out", text(&failed)], 1),
        "not_logged_in"
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["empty.json", "kept.json"]);
}

#[test]
fn export_out_writes_a_private_file_in_either_format() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world.ok_json(&["import", text(&dump)]);
    login(
        &world,
        &world.db(),
        &world.state_dir(),
        "carl@example.com",
        DJANGO_PASSWORD,
    );
    for format in ["django", "ndjson"] {
        let path = world.dir.path().join(format!("out.{format}"));
        let value = world.ok_json(&["export", "--format", format, "--out", text(&path)]);
        let written = std::fs::read(&path).unwrap();
        assert_eq!(value["format"], format);
        assert_eq!(
            Path::new(value["path"].as_str().unwrap()),
            path.canonicalize().unwrap()
        );
        assert_eq!(value["bytes"], written.len());
        let to_stdout = world
            .chat()
            .args(["export", "--format", format])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(written, to_stdout, "{format}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{format}");
        }
        // A second export to the same file is refused and changes nothing.
        assert_eq!(
            world.err_code(&["export", "--format", format, "--out", text(&path)], 1),
            "invalid_argument"
        );
        assert_eq!(std::fs::read(&path).unwrap(), written);
    }
}

#[test]
fn a_backup_opens_and_logs_in_and_never_overwrites() {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world.ok_json(&["import", text(&dump)]);
    login(
        &world,
        &world.db(),
        &world.state_dir(),
        "alice@example.com",
        DJANGO_PASSWORD,
    );
    let sent = world.ok_json(&["send", "10", "after the move"]);

    let backup = world.dir.path().join("backup.db");
    let value = world.ok_json(&["backup", text(&backup)]);
    assert_eq!(
        Path::new(value["backup"].as_str().unwrap()),
        backup.canonicalize().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The copy is a database of its own: log in there (own state dir) and read.
    let state = world.dir.path().join("backup-state");
    login(
        &world,
        &backup,
        &state,
        "alice@example.com",
        DJANGO_PASSWORD,
    );
    let out = world
        .chat_with(&backup, &state)
        .args(["--json", "messages", "10"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = json(&out);
    let last = page["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["id"], sent["id"]);
    assert_eq!(last["text"], "after the move");

    let human = world
        .chat()
        .args(["backup", text(&world.dir.path().join("second.db"))])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let human = String::from_utf8(human).unwrap();
    assert!(human.contains("second.db"), "{human}");

    // Never over an existing file: the copy is left as it was.
    let copied = std::fs::read(&backup).unwrap();
    assert_eq!(
        world.err_code(&["backup", text(&backup)], 1),
        "invalid_argument"
    );
    assert_eq!(std::fs::read(&backup).unwrap(), copied);
}

#[test]
fn help_has_an_example_for_each_new_command() {
    let world = World::new();
    for (command, example) in [
        ("import", "chat import db_dump.json --dry-run"),
        ("export", "chat export --format ndjson"),
        ("backup", "chat backup"),
        ("set-password", "chat set-password id:2 --password-stdin"),
        ("set-password", "chat set-password bert@example.com"),
    ] {
        world
            .chat()
            .args(["help", command])
            .assert()
            .success()
            .stdout(predicate::str::contains(example));
    }
}

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
