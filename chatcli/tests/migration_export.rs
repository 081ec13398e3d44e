//! Moving from the Django service: `export` and `backup` as processes.

mod common;
mod django_dump;

use common::{World, json};
use django_dump::{DJANGO_PASSWORD, export, login, small_dump, text, write_dump};
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

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
