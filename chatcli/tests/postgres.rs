//! `chat --db postgresql://…` (and `CHAT_DB=URL`): the walkthrough on a
//! PostgreSQL store, the password from `PGPASSWORD` or `~/.pgpass` (never
//! the command line), sessions kept per store. Runs against the server
//! named by `CHATCORE_TEST_POSTGRES_URL`; without it, says it was skipped.

mod common;

use common::*;
use std::path::Path;

/// A new schema on the test server (dropped at the end) and the URL of a
/// store in it without the password, and the password.
struct Server {
    /// Dropped with the server value, and the schema with it.
    _schema: pgtest::Schema,
    url: String,
    password: String,
}

impl Server {
    fn new() -> Option<Server> {
        let admin = pgtest::server("the CLI on PostgreSQL")?;
        let rest = admin.split_once("://")?.1;
        let (userinfo, host) = rest.split_once('@')?;
        let (user, password) = userinfo.split_once(':')?;
        let schema = pgtest::Schema::new(&admin, "chatcli_test");
        // The same store's URL without the password, which the CLI must
        // take from the environment or the password file.
        let url = pgtest::with_search_path(&format!("postgresql://{user}@{host}"), schema.name());
        Some(Server {
            _schema: schema,
            url,
            password: password.to_string(),
        })
    }
}

#[test]
fn the_walkthrough_runs_on_postgres_with_the_password_from_the_environment() {
    let Some(server) = Server::new() else { return };
    let world = World::new();
    let chat = || {
        let mut cmd = world.chat_with(Path::new(&server.url), &world.state_dir());
        cmd.env("PGPASSWORD", &server.password);
        cmd
    };
    for name in ["ann", "bob"] {
        chat()
            .args(["register", "--password-stdin", "--username", name])
            .args(["--email", &format!("{name}@example.com")])
            .write_stdin(format!("{PASSWORD}\n"))
            .assert()
            .success();
    }
    chat()
        .args(["login", "--password-stdin", "--email", "ann@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    chat()
        .args(["send", "--to", "bob", "hello from postgres"])
        .assert()
        .success();
    // The session file is keyed by the URL and records it without a password.
    let files: Vec<_> = std::fs::read_dir(world.state_dir())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(!files[0].contains(&format!(":{}@", server.password)));
    assert!(files[0].contains("search_path"), "{}", files[0]);

    // Bob, through ~/.pgpass this time (as `--db`).
    std::fs::create_dir_all(world.home()).unwrap();
    let pgpass = world.home().join(".pgpass");
    std::fs::write(&pgpass, format!("*:*:*:*:{}\n", server.password)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let bob = || {
        let mut cmd = world.chat_with(&world.db(), &world.dir.path().join("bob-state"));
        cmd.arg("--db").arg(&server.url);
        cmd
    };
    bob()
        .args(["login", "--password-stdin", "--email", "bob@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let out = bob()
        .args(["--json", "unread"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json(&out)["unread_count"],
        1,
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(!world.db().exists(), "no file was made for a URL");
}
