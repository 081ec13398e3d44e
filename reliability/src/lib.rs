//! Helpers shared by chatcore's reliability and security tests and by the
//! worker process they start (`rel-worker`).
//!
//! The tests live in `tests/`: one file per claim of the README's
//! "Guarantees" section. Each prints the figure it proves (run with
//! `-- --nocapture`). Sizes come from `RELIABILITY_KILLS`,
//! `RELIABILITY_MODEL_CASES`, `RELIABILITY_TOKENS`,
//! `RELIABILITY_LOGIN_ATTEMPTS` and `RELIABILITY_SENDS`; the defaults keep
//! `cargo test` quick, `.ci/run` sets the CI sizes, and the README gives the
//! full ones. A failing kill run prints its seed: `RELIABILITY_SEED=N`
//! replays the same kill moments; a failing model run prints proptest's
//! smallest failing sequence of steps. The disk-full test mounts a tmpfs and
//! so needs root: without it the test prints "SKIPPED", and with `CI` set it
//! fails instead.

use chatcore::{Config, MessageId, NewUser, Session, Store, ThreadId, User};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// The password of every user these tests make.
pub const PASSWORD: &str = "password123";

/// The settings every test store uses: real durability, cheap hashing.
pub fn config() -> Config {
    Config::insecure_fast_for_tests()
}

/// The `n`th key of the rekey kill test: raw keys, except every fifth one
/// a passphrase (so both kinds are rekeyed to and from).
pub fn rekey_key(n: u64) -> chatcore::DatabaseKey {
    if n % 5 == 4 {
        return chatcore::DatabaseKey::Passphrase(format!("passphrase number {n}"));
    }
    let mut raw = [0x5c; 32];
    raw[..8].copy_from_slice(&n.to_le_bytes());
    chatcore::DatabaseKey::Raw(raw)
}

/// The email of the test user `name`.
pub fn email(name: &str) -> String {
    format!("{name}@example.com")
}

/// Registers `name` (email `name@example.com`) and logs in.
pub fn user(store: &Store, name: &str) -> (User, Session) {
    let email = email(name);
    let user = store
        .register(&NewUser {
            email: &email,
            username: name,
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap_or_else(|err| panic!("register {name}: {err}"));
    let session = store
        .login(&email, PASSWORD)
        .unwrap_or_else(|err| panic!("login {name}: {err}"));
    (user, session)
}

/// Logs `name` in.
pub fn login(store: &Store, name: &str) -> chatcore::Result<Session> {
    store.login(&email(name), PASSWORD)
}

/// A small, seedable generator (SplitMix64): reproducible random moments
/// without a dependency. The seed is printed by every test that uses it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `$RELIABILITY_SEED`, else from the clock.
    pub fn from_env() -> Rng {
        let seed = std::env::var("RELIABILITY_SEED")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        Rng(seed)
    }

    /// The generator's current state, to print for a rerun.
    pub fn seed(&self) -> u64 {
        self.0
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }
}

/// A size from the environment (for the full-size runs), else `default`.
pub fn size(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|text| text.replace([',', '_'], "").parse().ok())
        .unwrap_or(default)
}

/// A read-only raw connection, for checking what the file holds.
pub fn raw(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|err| panic!("open {} read-only: {err}", path.display()))
}

/// Every row of `tables`, as text: equal snapshots mean nothing changed.
pub fn snapshot(path: &Path, tables: &[&str]) -> String {
    let conn = raw(path);
    let mut out = String::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap_or_else(|err| panic!("read {table}: {err}"));
        let columns = stmt.column_count();
        let mut rows = stmt
            .query([])
            .unwrap_or_else(|err| panic!("read {table}: {err}"));
        while let Some(row) = rows
            .next()
            .unwrap_or_else(|err| panic!("read {table}: {err}"))
        {
            for i in 0..columns {
                let value: rusqlite::types::Value = row
                    .get(i)
                    .unwrap_or_else(|err| panic!("read {table}: {err}"));
                out.push_str(&format!("{value:?}|"));
            }
            out.push('\n');
        }
    }
    out
}

/// What a file check found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FileCheck {
    /// Messages in the file.
    pub messages: u64,
    /// Unread counters compared with a recomputation.
    pub counters: u64,
}

/// Opens `path` as a store and checks everything a crash must not break:
/// `PRAGMA integrity_check` is `ok`, `PRAGMA foreign_key_check` finds
/// nothing, every unread counter equals its recomputation, and the search
/// index agrees with the messages (`Store::verify_search_index`: FTS5's
/// integrity-check and a count per index). Panics
/// with the finding otherwise.
pub fn check_file(path: &Path) -> FileCheck {
    let store = Store::open_with(path, config())
        .unwrap_or_else(|err| panic!("reopen {}: {err}", path.display()));
    let conn = raw(path);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "integrity_check");
    let broken: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |row| {
            Ok(format!(
                "{}:{:?}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(broken.is_empty(), "foreign_key_check: {broken:?}");
    let report = store.verify_unread().unwrap();
    assert!(
        report.mismatches.is_empty(),
        "unread counters disagree with the messages: {:?}",
        report.mismatches
    );
    let search = store.verify_search_index().unwrap();
    assert_eq!(search, None, "the search index disagrees with the messages");
    let messages: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |row| row.get(0))
        .unwrap();
    FileCheck {
        messages: messages as u64,
        counters: report.threads_checked + report.users_checked,
    }
}

/// The text stored for a message id, if the message exists.
pub fn stored_text(conn: &Connection, id: MessageId) -> Option<String> {
    conn.query_row("SELECT text FROM messages WHERE id = ?1", [id.0], |row| {
        row.get(0)
    })
    .ok()
}

/// Two users `ann` and `bob` and their thread, in a new file store.
pub fn pair(path: &Path) -> (Store, Session, Session, ThreadId) {
    let store = Store::open_with(path, config()).unwrap();
    let (ann, ann_session) = user(&store, "ann");
    let (bob, bob_session) = user(&store, "bob");
    let (thread, _) = ann_session.create_thread(&[ann.id, bob.id]).unwrap();
    (store, ann_session, bob_session, thread.id)
}

/// Formats a count with thousands separators, as the tests print figures.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Starts `worker` with `args`, lets it run for `after`, kills it with
/// SIGKILL and returns the lines it had printed in full (a line is complete
/// only once the work it reports has returned). Panics, naming `run` and
/// the worker's stderr, if the worker exited on its own before the kill.
pub fn kill_after(
    worker: &str,
    args: &[&str],
    after: std::time::Duration,
    run: u64,
) -> Vec<String> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(worker)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("run {run}: cannot start {worker}: {err}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    // Lines are read on another thread while this one waits for the moment.
    let lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    std::thread::sleep(after);
    if let Ok(Some(status)) = child.try_wait() {
        let mut err = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        panic!("run {run}: the worker exited by itself ({status}): {err}");
    }
    child.kill().expect("SIGKILL the worker"); // SIGKILL on Unix
    child.wait().expect("reap the worker");
    lines.join().expect("the reader thread")
}
