//! `chat copy --to TARGET` as a process: the copy exports the same, a
//! non-empty target is refused, and a password never shows.

mod common;

use common::World;
use predicates::prelude::*;
use std::path::Path;

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// ann and bob with a thread of messages both ways, some read; ann logged in.
fn world_with_chats() -> World {
    let world = World::new();
    world.register("bob");
    world.register("cat");
    world.register("ann");
    let thread = world.ok_json(&["open", "bob"])["id"].to_string();
    world.ok_json(&["open", "cat"]);
    for n in 0..3 {
        world.ok_json(&["send", &thread, &format!("ann {n}")]);
    }
    world.login("bob");
    for n in 0..4 {
        world.ok_json(&["send", &thread, &format!("bob {n}")]);
    }
    world.ok_json(&["read", "--thread", &thread]);
    world.login("ann");
    world
}

/// `chat export --format ndjson` of `user` on the database `db`.
fn ndjson(world: &World, db: &Path, user: &str) -> String {
    let state = world.dir.path().join(format!("state-{user}"));
    world
        .chat_with(db, &state)
        .args(["login", "--password-stdin", "--email"])
        .arg(format!("{user}@example.com"))
        .write_stdin(format!("{}\n", common::PASSWORD))
        .assert()
        .success();
    let out = world
        .chat_with(db, &state)
        .args(["export", "--format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

fn django(world: &World, db: &Path) -> String {
    let out = world
        .chat_with(db, &world.state_dir())
        .args(["export"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn a_copy_exports_exactly_what_the_source_exports() {
    let world = world_with_chats();
    let copy = world.dir.path().join("copy.db");
    let value = world.ok_json(&["copy", "--to", text(&copy)]);
    assert_eq!(value["copied"]["users"], 3);
    assert_eq!(value["copied"]["threads"], 2);
    assert_eq!(value["copied"]["messages"], 7);
    assert_eq!(
        Path::new(value["to"].as_str().unwrap()),
        copy.canonicalize().unwrap()
    );
    for user in ["ann", "bob", "cat"] {
        let here = ndjson(&world, &world.db(), user);
        assert!(!here.is_empty() || user == "cat");
        assert_eq!(here, ndjson(&world, &copy, user), "{user}");
    }
    assert_eq!(django(&world, &world.db()), django(&world, &copy));
    // The same unread count (tokens carried over: chatcore's tests/copy.rs).
    let unread = |db: &Path| {
        let state = world.dir.path().join("state-bob");
        let out = world
            .chat_with(db, &state)
            .args(["--json", "unread"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        common::json(&out)
    };
    assert_eq!(unread(&world.db()), unread(&copy));
}

#[test]
fn a_target_that_is_not_empty_is_refused_and_kept() {
    let world = world_with_chats();
    let copy = world.dir.path().join("copy.db");
    world.ok_json(&["copy", "--to", text(&copy)]);
    let before = django(&world, &copy);
    assert_eq!(
        world.err_code(&["copy", "--to", text(&copy)], 1),
        "invalid_argument"
    );
    assert_eq!(django(&world, &copy), before);
    world
        .chat()
        .args(["copy", "--to", text(&copy)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not empty"));
}

#[test]
fn the_human_output_says_what_was_copied_and_how_to_open_it() {
    let world = world_with_chats();
    let copy = world.dir.path().join("copy.db");
    let out = world.ok_text(&["copy", "--to", text(&copy)]);
    assert!(
        out.contains("Copied 3 users, 1 sessions, 2 threads and 7 messages"),
        "{out}"
    );
    assert!(out.contains("chat --db "), "{out}");
    world
        .chat()
        .args(["help", "copy"])
        .assert()
        .success()
        .stdout(predicate::str::contains("chat copy --to local-copy.db"));
}
