//! `--json`: one shape per model, times with millisecond precision, and
//! usage errors with a one-line message. Each test runs `chat` as a process.

mod common;

use common::{PASSWORD, World, json};
use serde_json::{Value, json};

fn stdout(world: &World, args: &[&str]) -> String {
    let out = world
        .chat()
        .arg("--json")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn open_prints_the_same_thread_summary_as_an_item_of_threads() {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let created = world.ok_json(&["open", "bob"]);
    assert_eq!(created["created"], true);
    world.ok_json(&["send", "--to", "bob", "hello"]);
    let opened = stdout(&world, &["open", "bob"]);
    let inbox = stdout(&world, &["threads"]);
    // The one item of the inbox, as printed (keys in their printed order).
    let item = inbox
        .strip_prefix(r#"{"items":["#)
        .and_then(|rest| rest.strip_suffix("],\"next_cursor\":null}\n"))
        .unwrap_or_else(|| panic!("one item expected: {inbox}"));
    assert_eq!(
        opened,
        format!("{},\"created\":false}}\n", &item[..item.len() - 1]),
        "open = the inbox item, then created"
    );
    let opened = json(opened.as_bytes());
    assert_eq!(opened["other"]["username"], "bob");
    assert_eq!(opened["last_message"]["text"], "hello");
    assert_eq!(opened["unread_count"], 0);
}

/// A dump whose times are whole seconds: olga (who gets a password) and
/// pete, a thread between them and one message from pete.
fn whole_second_dump() -> String {
    let user = |pk: i64, name: &str| {
        json!({"model": "user.user", "pk": pk, "fields": {
            "password": "!unusable-in-django", "last_login": null, "is_superuser": false,
            "email": format!("{name}@example.com"), "username": name,
            "first_name": "", "last_name": "", "is_staff": false, "is_active": true,
            "date_joined": "2024-01-02T03:04:05Z", "groups": [], "user_permissions": []}})
    };
    let entries = json!([
        user(1, "olga"),
        user(2, "pete"),
        {"model": "chat.thread", "pk": 10, "fields": {"participants": [1, 2],
            "created": "2024-02-01T10:00:00Z", "updated": "2024-02-01T10:01:00Z"}},
        {"model": "chat.message", "pk": 100, "fields": {"thread": 10, "sender": 2,
            "text": "hi", "created": "2024-02-01T10:01:00Z", "is_read": true}},
    ]);
    entries.to_string()
}

/// Every string under `value` that looks like a time, with where it is.
fn times(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if text.starts_with("20") && text.contains('T') => {
            found.push((at.to_string(), text.clone()))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                times(item, &format!("{at}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                times(item, &format!("{at}.{key}"), found);
            }
        }
        _ => {}
    }
}

fn millisecond_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| range.into_iter().all(|i| bytes[i].is_ascii_digit());
    bytes.len() == 24
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && bytes[19] == b'.'
        && digits(20..23)
        && bytes[23] == b'Z'
}

#[test]
fn every_time_has_exactly_three_fractional_digits_in_utc() {
    let world = World::new();
    let dump = world.dir.path().join("dump.json");
    std::fs::write(&dump, whole_second_dump()).unwrap();
    world.ok_json(&["import", dump.to_str().unwrap()]);
    world
        .chat()
        .args(["set-password", "olga@example.com", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    world.login("olga");
    let mut found = Vec::new();
    for args in [
        &["whoami"][..],
        &["users"],
        &["threads"],
        &["open", "pete"],
        &["messages", "10"],
        &["sessions"],
    ] {
        times(&world.ok_json(args), &args.join(" "), &mut found);
    }
    let whole: Vec<_> = found
        .iter()
        .filter(|(_, time)| time.ends_with(":00.000Z") || time.ends_with(":05.000Z"))
        .collect();
    assert!(
        whole.len() >= 8,
        "the dump's whole seconds are there: {found:?}"
    );
    for (at, time) in &found {
        assert!(millisecond_rfc3339(time), "{at}: {time}");
    }
    // The NDJSON export is the same serialization.
    let out = world
        .chat()
        .args(["export", "--format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut exported = Vec::new();
    for line in String::from_utf8(out).unwrap().lines() {
        times(
            &serde_json::from_str(line).unwrap(),
            "ndjson",
            &mut exported,
        );
    }
    assert!(!exported.is_empty());
    for (at, time) in &exported {
        assert!(millisecond_rfc3339(time), "{at}: {time}");
    }
}

fn usage_error(world: &World, args: &[&str]) -> Value {
    let out = world
        .chat()
        .arg("--json")
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    json(&out)["error"].clone()
}

#[test]
fn a_usage_error_has_a_one_line_message_and_the_usage_apart() {
    let world = World::new();
    let missing = usage_error(&world, &["open"]);
    assert_eq!(missing["code"], "usage");
    assert_eq!(
        missing["message"],
        "the following required arguments were not provided: <USER>"
    );
    assert_eq!(missing["usage"], "chat open <USER>");
    let unknown = usage_error(&world, &["users", "a", "b"]);
    let message = unknown["message"].as_str().unwrap();
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with("unexpected argument 'b' found"),
        "{message}"
    );
    assert!(
        unknown["usage"].as_str().unwrap().starts_with("chat users"),
        "{unknown}"
    );
    let bad_value = usage_error(&world, &["messages", "x"]);
    let message = bad_value["message"].as_str().unwrap();
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with("invalid value 'x' for '<THREAD>'"),
        "{message}"
    );
    // The same message inside the shell, with the shell's usage (no `chat`)
    // and the script line that failed.
    let out = world
        .chat()
        .arg("--json")
        .write_stdin("open\n")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let error = json(&out)["error"].clone();
    assert_eq!(error["code"], missing["code"]);
    assert_eq!(error["message"], missing["message"]);
    assert_eq!(error["line"], 1);
    let usage = error["usage"].as_str().unwrap();
    assert!(
        usage.starts_with("open ") && usage.ends_with("<USER>"),
        "{usage}"
    );
}
