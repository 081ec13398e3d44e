//! Encrypted databases through `chat`: the key from `--key-stdin`, from a
//! 0600 `CHAT_DB_KEY_FILE` (other modes refused), or a hidden prompt asked
//! once by the shell; `backup --encrypt`/`--decrypt`, `rekey`; the key never
//! in the history or the session file.

mod common;

use common::{PASSWORD, World};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const KEY: &str = "the database passphrase";
const NEW_KEY: &str = "an entirely new passphrase";

fn key_file(world: &World, text: &str, mode: u32) -> std::path::PathBuf {
    let path = world.dir.path().join(format!("key-{mode:o}"));
    std::fs::write(&path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn on(world: &World, db: &Path) -> assert_cmd::Command {
    world.chat_with(db, &world.state_dir())
}

#[test]
fn backup_encrypt_then_open_with_key_stdin_a_key_file_and_refusals() {
    let world = World::new();
    world.register("ann");
    world.register("bob");
    world.login("ann");
    world.ok_json(&["send", "--to", "bob", "hello bob"]);
    let secret = world.dir.path().join("secret.db");
    let out = world
        .chat()
        .args(["--json", "backup"])
        .arg(&secret)
        .args(["--encrypt", "--new-key-stdin"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let value = common::json(&out);
    assert_eq!(value["encrypted"], true, "{value}");
    assert!(
        !std::fs::read(&secret)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );

    // No key, off a terminal: wrong_key, nothing asked.
    let out = on(&world, &secret)
        .args(["--json", "users"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(common::json(&out)["error"]["code"], "wrong_key");

    // --key-stdin: the first line is the key.
    let out = on(&world, &secret)
        .args(["--json", "--key-stdin", "export"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("bob"));

    // A wrong key: wrong_key, and the message does not quote it.
    let out = on(&world, &secret)
        .args(["--json", "--key-stdin", "users"])
        .write_stdin("not the key\n")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = common::json(&out);
    assert_eq!(err["error"]["code"], "wrong_key");
    assert!(!err.to_string().contains("not the key"), "{err}");

    // CHAT_DB_KEY_FILE: 0600 works, 0644 and 0640 are refused.
    let good = key_file(&world, KEY, 0o600);
    on(&world, &secret)
        .env("CHAT_DB_KEY_FILE", &good)
        .args(["--json", "export"])
        .assert()
        .success();
    for mode in [0o644, 0o640] {
        let bad = key_file(&world, KEY, mode);
        let out = on(&world, &secret)
            .env("CHAT_DB_KEY_FILE", &bad)
            .args(["--json", "users"])
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = common::json(&out);
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("chmod 600"),
            "{err}"
        );
    }
    // No argument can carry a key.
    on(&world, &secret)
        .args(["--key", KEY, "users"])
        .assert()
        .code(2);
}

#[test]
fn rekey_and_decrypt_through_the_cli() {
    let world = World::new();
    world.register("ann");
    world.register("bob");
    world.login("ann");
    world.ok_json(&["send", "--to", "bob", "keep me"]);
    let secret = world.dir.path().join("secret.db");
    world
        .chat()
        .args(["backup"])
        .arg(&secret)
        .args(["--encrypt", "--new-key-stdin"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success();

    // A plain database cannot be rekeyed.
    let out = world
        .chat()
        .args(["--json", "rekey", "--new-key-stdin"])
        .write_stdin(format!("{NEW_KEY}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(common::json(&out)["error"]["code"], "invalid_argument");

    let out = on(&world, &secret)
        .args(["--json", "--key-stdin", "rekey", "--new-key-stdin"])
        .write_stdin(format!("{KEY}\n{NEW_KEY}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(common::json(&out)["rekeyed"], true);
    on(&world, &secret)
        .args(["--key-stdin", "users"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .code(1);

    let plain = world.dir.path().join("plain-again.db");
    on(&world, &secret)
        .args(["--key-stdin", "backup"])
        .arg(&plain)
        .arg("--decrypt")
        .write_stdin(format!("{NEW_KEY}\n"))
        .assert()
        .success();
    assert!(
        std::fs::read(&plain)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    let out = world
        .chat_with(&plain, &world.dir.path().join("state2"))
        .args(["--json", "export"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("bob"));
}

#[cfg(unix)]
#[test]
fn the_shell_asks_for_the_key_once_and_keeps_it_out_of_history_and_session() {
    use rexpect::session::spawn_command;
    let world = World::new();
    world.register("ann");
    world.register("bob");
    world.login("ann");
    world.ok_json(&["send", "--to", "bob", "hello bob"]);
    let secret = world.dir.path().join("secret.db");
    world
        .chat()
        .args(["backup"])
        .arg(&secret)
        .args(["--encrypt", "--new-key-stdin"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success();

    let program = on(&world, &secret).get_program().to_owned();
    let mut command = std::process::Command::new(program);
    for (key, value) in on(&world, &secret).get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command.env("TERM", "xterm");
    let mut p = spawn_command(command, Some(20_000)).expect("spawn chat in a pty");
    // Asked once, as the shell opens the database.
    p.exp_string("Database key: ").unwrap();
    p.send_line(KEY).unwrap();
    p.exp_string("chat> ").unwrap();
    p.send_line("login --email ann@example.com").unwrap();
    p.exp_string("Password: ").unwrap();
    p.send_line(PASSWORD).unwrap();
    p.exp_string("chat (ann)> ").unwrap();
    p.send_line("users").unwrap();
    p.exp_string("bob").unwrap();
    p.exp_string("chat (ann)> ").unwrap();
    p.send_line("unread").unwrap();
    p.exp_string("chat (ann)> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();

    let mut looked = 0;
    for dir in [world.home(), world.state_dir()] {
        for entry in walk(&dir) {
            let bytes = std::fs::read(&entry).unwrap();
            looked += 1;
            assert!(
                !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                "the key is in {}",
                entry.display()
            );
        }
    }
    assert!(looked >= 2, "no history or session file to look at");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}
