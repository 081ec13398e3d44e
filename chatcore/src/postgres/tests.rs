//! Tests of the PostgreSQL backend's own properties, against the server
//! named by `CHATCORE_TEST_POSTGRES_URL` (each skipped, with one line
//! saying so, without it): TLS modes, passwords from the environment and
//! the password file, the schema's versioning, and a connection lost in
//! the middle of a transaction.

use super::connect::Target;
use crate::storage::{Mode, NewUserRow};
use crate::{Clock, Config, Error, Store};
use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

/// The test server, or `None` after saying once that these tests skip.
pub(super) fn server() -> Option<String> {
    pgtest::server("PostgreSQL backend tests")
}

/// A new schema on the test server, dropped at the end of the test.
pub(super) struct Schema(pgtest::Schema);

impl Schema {
    pub(super) fn new(server: &str) -> Schema {
        Schema(pgtest::Schema::new(server, "chatcore_unit"))
    }

    /// The URL of a store in this schema.
    pub(super) fn url(&self) -> String {
        self.0.url().to_string()
    }

    pub(super) fn client(&self) -> postgres::Client {
        self.0.client()
    }

    /// The schema's version, read on a connection of the store's kind.
    pub(super) fn version(&self) -> crate::Result<i64> {
        let conn = Target::parse(&self.url(), Duration::from_secs(5))?.connect()?;
        super::schema::version(&conn.client)
    }
}

fn admin(server: &str) -> postgres::Client {
    pgtest::connect(server)
}

fn with_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// Connects with `url` and the environment `env`; whether the connection
/// uses TLS.
fn connect(url: &str, env: &HashMap<&str, OsString>) -> crate::Result<bool> {
    let target = Target::parse_in(url, Duration::from_secs(5), &|name| env.get(name).cloned())?;
    let conn = target.connect()?;
    let row = conn.client.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )?;
    Ok(row.get(0))
}

#[test]
fn tls_require_encrypts_and_verify_full_checks_the_certificate() {
    let Some(server) = server() else { return };
    let env = HashMap::new();
    assert!(!connect(&with_param(&server, "sslmode=disable"), &env).unwrap());
    // Debian's cluster has TLS on with its "snakeoil" certificate.
    assert!(connect(&with_param(&server, "sslmode=require"), &env).unwrap());
    // A root that did not sign the server's certificate: refused.
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    if let Some(end) = bundle.find("-----END CERTIFICATE-----") {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("other-ca.pem");
        std::fs::write(&other, &bundle[..end + "-----END CERTIFICATE-----".len()]).unwrap();
        let url = with_param(
            &server,
            &format!(
                "sslmode=verify-full&sslrootcert={}",
                other.display().to_string().replace('/', "%2F")
            ),
        );
        let err = connect(&url, &env).unwrap_err();
        assert_eq!(err.code(), "storage", "{err}");
    }
    let snakeoil = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    if !std::path::Path::new(snakeoil).exists() || !server.contains("@localhost") {
        eprintln!(
            "skipped the verify-full checks against {snakeoil} (not there, or not localhost)"
        );
        return;
    }
    let root = format!("sslrootcert={}", snakeoil.replace('/', "%2F"));
    // Trusted as a root, it verifies for the name it carries (localhost)…
    let full = with_param(&server, &format!("sslmode=verify-full&{root}"));
    assert!(connect(&full, &env).unwrap());
    // …and not for another name of the same server, unless only the chain is checked.
    let by_ip = |mode: &str| {
        with_param(
            &server.replace("@localhost", "@127.0.0.1"),
            &format!("sslmode={mode}&{root}"),
        )
    };
    let err = connect(&by_ip("verify-full"), &env).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(connect(&by_ip("verify-ca"), &env).unwrap());
    // An unknown mode is refused before connecting.
    let err = connect(&with_param(&server, "sslmode=sometimes"), &env).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
}

#[cfg(unix)]
#[test]
fn a_password_comes_from_pgpassword_or_a_private_password_file() {
    use std::os::unix::fs::PermissionsExt;
    let Some(server) = server() else { return };
    let Some(without) = strip_password(&server) else {
        pgtest::say("skipped: the test URL has no password to take out");
        return;
    };
    let password = password_of(&server).unwrap();
    let refused = connect(&without, &HashMap::new());
    if refused.is_ok() {
        pgtest::say("skipped: the server lets this user in without a password");
        return;
    }
    let mut env = HashMap::from([("PGPASSWORD", OsString::from(&password))]);
    connect(&without, &env).unwrap();
    env.clear();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, format!("nothere:*:*:*:wrong\n*:*:*:*:{password}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.insert("PGPASSFILE", file.clone().into_os_string());
    connect(&without, &env).unwrap();
    // ~/.pgpass is the default file.
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::copy(&file, home.join(".pgpass")).unwrap();
    std::fs::set_permissions(home.join(".pgpass"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let home_env = HashMap::from([("HOME", home.clone().into_os_string())]);
    connect(&without, &home_env).unwrap();
    // A file others can read is not used.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(connect(&without, &env).is_err());
}

/// `url` without the password of its user part.
fn strip_password(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (userinfo, host) = rest.split_once('@')?;
    let (user, _) = userinfo.split_once(':')?;
    Some(format!("postgresql://{user}@{host}"))
}

fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_string())
}

#[test]
fn the_first_open_creates_the_schema_once_even_when_many_open_at_once() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let url = schema.url();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                Store::open_with(&url, Config::insecure_fast_for_tests()).map(|_| ())
            })
        })
        .collect();
    for open in opens {
        open.join().unwrap().unwrap();
    }
    let versions: Vec<i64> = schema
        .client()
        .query(
            "SELECT version FROM chatcore_schema_version ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, (1..=super::schema::VERSION).collect::<Vec<_>>());
    assert_eq!(schema.version().unwrap(), super::schema::VERSION);
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    let newer = super::schema::VERSION + 1;
    let mut client = schema.client();
    client
        .execute(
            "INSERT INTO chatcore_schema_version (version) VALUES ($1)",
            &[&newer],
        )
        .unwrap();
    let tables = |client: &mut postgres::Client| -> i64 {
        client
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let before = tables(&mut client);
    let err = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found, supported } if found == newer && supported == super::schema::VERSION),
        "{err}"
    );
    assert_eq!(tables(&mut client), before);
    let found: i64 = client
        .query_one("SELECT max(version) FROM chatcore_schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(found, newer);
}

#[test]
fn a_schema_with_other_tables_or_none_at_all_is_refused() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    schema
        .client()
        .batch_execute("CREATE TABLE their_table (id int)")
        .unwrap();
    let err = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("another program"), "{err}");
    let count: i64 = schema
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "nothing was created beside their table");

    let missing = with_param(&server, "options=-csearch_path%3Dchatcore_no_such_schema");
    let err = Store::open_with(missing, Config::insecure_fast_for_tests()).unwrap_err();
    assert!(err.to_string().contains("CREATE SCHEMA"), "{err}");
}

#[test]
fn a_connection_lost_in_the_middle_of_a_write_gives_storage_and_writes_nothing() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let app = format!("chatcore_cut_{}", uuid::Uuid::new_v4().simple());
    let url = with_param(&schema.url(), &format!("application_name={app}"));
    let store = Store::open_with(&url, Config::insecure_fast_for_tests()).unwrap();
    let now = store.now();
    let row = |name: &'static str| NewUserRow {
        id: None,
        email: name,
        email_key: name,
        username: name,
        username_key: name,
        first_name: "",
        last_name: "",
        password_hash: None,
        created_at: now,
    };
    let mut killer = admin(&server);
    let err = store
        .backend()
        .run(Mode::Write, &mut |tx| {
            tx.insert_user(&row("first@example.com"))?;
            // Another connection ends this store's connections, as a
            // server restart or a network cut would.
            killer
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                    &[&app],
                )
                .unwrap();
            for _ in 0..500 {
                let left: i64 = killer
                    .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", &[&app])
                    .unwrap()
                    .get(0);
                if left == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            tx.insert_user(&row("second@example.com"))?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    // Nothing of the transaction was kept, and the store goes on working
    // on new connections.
    let users: i64 = schema
        .client()
        .query_one("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0);
    assert_eq!(users, 0);
    store
        .register(&crate::NewUser {
            email: "ann@example.com",
            username: "ann",
            password: "password123",
            ..Default::default()
        })
        .unwrap();
}

#[test]
fn backups_to_a_file_are_refused_with_what_to_use_instead() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let store = Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(store.path(), None);
    store.checkpoint().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = store.backup(dir.path().join("copy.db")).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(err.to_string().contains("copy"), "{err}");
    assert!(!dir.path().join("copy.db").exists());
}

#[test]
fn the_life_step_upgrades_an_older_schema_in_place() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let mut client = schema.client();
    // A store at the version before a message's life, with a message.
    client
        .batch_execute(
            "CREATE TABLE chatcore_schema_version (
                 version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .unwrap();
    let before = super::schema::LIFE_VERSION - 1;
    for (at, step) in super::schema::MIGRATIONS[..before as usize]
        .iter()
        .enumerate()
    {
        client.batch_execute(step).unwrap();
        client
            .execute(
                "INSERT INTO chatcore_schema_version (version) VALUES ($1)",
                &[&(at as i64 + 1)],
            )
            .unwrap();
    }
    client
        .batch_execute(
            "INSERT INTO users (id, email, email_key, username, username_key, created_at)
                 VALUES (1, 'a@x', 'a@x', 'a', 'a', 0), (2, 'b@x', 'b@x', 'b', 'b', 0);
             INSERT INTO threads (id, user_low, user_high, created_at, last_activity_at, last_message_id)
                 VALUES (1, 1, 2, 0, 0, 1);
             INSERT INTO members (user_id, thread_id, other_id, last_activity_at)
                 VALUES (1, 1, 2, 0), (2, 1, 1, 0);
             INSERT INTO messages (id, thread_id, sender_id, text, created_at)
                 VALUES (1, 1, 1, 'kept', 0)",
        )
        .unwrap();

    Store::open_with(schema.url(), Config::insecure_fast_for_tests()).unwrap();
    assert_eq!(schema.version().unwrap(), super::schema::VERSION);
    let row = client
        .query_one(
            "SELECT m.text, m.edited_at, m.deleted_at, mb.cleared_through_id
             FROM messages m JOIN members mb ON mb.thread_id = m.thread_id AND mb.user_id = 2",
            &[],
        )
        .unwrap();
    let (text, edited, deleted, cleared): (String, Option<i64>, Option<i64>, Option<i64>) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        (text.as_str(), edited, deleted, cleared),
        ("kept", None, None, None)
    );
}

#[test]
fn a_row_lock_held_past_the_busy_timeout_is_busy_and_bookkeeping_skips_it() {
    let Some(server) = server() else { return };
    let schema = Schema::new(&server);
    let start = chrono::DateTime::from_timestamp_millis(1_767_225_600_000).unwrap();
    let clock = std::sync::Arc::new(crate::ManualClock::new(start));
    let config = Config::insecure_fast_for_tests()
        .clock(clock.clone())
        .busy_timeout(Duration::from_millis(200));
    let store = Store::open_with(schema.url(), config).unwrap();
    let mut ids = Vec::new();
    for name in ["ann", "bob"] {
        let email = format!("{name}@example.com");
        let user = store
            .register(&crate::NewUser {
                email: &email,
                username: name,
                password: "password123",
                ..Default::default()
            })
            .unwrap();
        ids.push(user.id);
    }
    let ann = store.login("ann@example.com", "password123").unwrap();
    let (thread, _) = ann.create_thread(&ids).unwrap();

    // Another transaction holds the thread's row: a send waits for the
    // busy timeout, then is refused as busy, having written nothing.
    let mut holder = schema.client();
    let mut held = holder.transaction().unwrap();
    held.execute(
        "SELECT 1 FROM threads WHERE id = $1 FOR UPDATE",
        &[&thread.id.0],
    )
    .unwrap();
    let err = ann.send(thread.id, "waits").unwrap_err();
    assert!(matches!(err, Error::Busy), "{err}");

    // The session's row locked: resuming a stale session still works, and
    // its refresh (a write only if the lock is free) is skipped.
    held.execute("SELECT 1 FROM sessions FOR UPDATE", &[])
        .unwrap();
    clock.advance(chrono::Duration::minutes(5));
    store.resume(ann.token()).unwrap();
    let last_used = |client: &mut postgres::Client| -> i64 {
        client
            .query_one("SELECT last_used_at FROM sessions", &[])
            .unwrap()
            .get(0)
    };
    held.rollback().unwrap();
    let mut reader = schema.client();
    assert_eq!(last_used(&mut reader), start.timestamp_millis());
    // Free again: the refresh happens, and sends go through.
    store.resume(ann.token()).unwrap();
    assert_eq!(last_used(&mut reader), clock.now().timestamp_millis());
    ann.send(thread.id, "through").unwrap();
    let messages: i64 = reader
        .query_one("SELECT count(*) FROM messages", &[])
        .unwrap()
        .get(0);
    assert_eq!(messages, 1);
    drop(holder);
}

/// What undoes each schema step (`UNDO[n]` takes version `n + 1` back to
/// `n`), for the migration tests.
const UNDO: &[&str] = &[
    "",
    "ALTER TABLE messages DROP COLUMN edited_at, DROP COLUMN deleted_at;
     ALTER TABLE members DROP COLUMN cleared_through_id;",
    "ALTER TABLE messages DROP COLUMN search_words, DROP COLUMN search_folded,
         DROP COLUMN search_trigrams;",
    "DROP TABLE changes;
     ALTER TABLE users DROP COLUMN changes_pruned_through, DROP COLUMN changes_seq;",
];

/// Takes the store of `schema` back to schema `version` (at least 1).
pub(super) fn downgrade_to(schema: &Schema, version: i64) {
    assert_eq!(
        UNDO.len() as i64,
        super::schema::VERSION,
        "an undo per step"
    );
    let mut client = schema.client();
    for step in (version..super::schema::VERSION).rev() {
        client.batch_execute(UNDO[step as usize]).unwrap();
    }
    client
        .execute(
            "DELETE FROM chatcore_schema_version WHERE version > $1",
            &[&version],
        )
        .unwrap();
}
