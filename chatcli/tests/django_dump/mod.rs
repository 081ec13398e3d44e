//! Django `dumpdata` entries, and the steps of moving a dump in and out
//! through `chat`, shared by the migration tests.
#![allow(dead_code)]

use crate::common::World;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A known Django hash of the password `lètmein`.
pub const DJANGO_HASH: &str =
    "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";
pub const DJANGO_PASSWORD: &str = "lètmein";

pub fn user(pk: i64, username: &str, password: &str) -> Value {
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

pub fn thread(pk: i64, participants: &[i64]) -> Value {
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

pub fn message(pk: i64, thread: i64, sender: i64, text: &str, is_read: bool) -> Value {
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
pub fn small_dump() -> Vec<Value> {
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
pub fn world_with_small_dump() -> World {
    let world = World::new();
    let dump = write_dump(&world, "dump.json", &small_dump());
    world
        .chat()
        .args(["import", text(&dump)])
        .assert()
        .success();
    world
}

pub fn write_dump(world: &World, name: &str, entries: &[Value]) -> PathBuf {
    let path = world.dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(entries).unwrap()).unwrap();
    path
}

pub fn login(world: &World, db: &Path, state: &Path, email: &str, password: &str) {
    world
        .chat_with(db, state)
        .args(["login", "--password-stdin", "--email", email])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
}

/// `chat export` (Django JSON to stdout) of `db`.
pub fn export(world: &World, db: &Path) -> Vec<u8> {
    world
        .chat_with(db, &world.state_dir())
        .arg("export")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

pub fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}
