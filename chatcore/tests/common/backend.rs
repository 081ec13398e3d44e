//! One suite, two backends: every behaviour test runs on SQLite and on
//! PostgreSQL from the same code.
//!
//! A test is a plain `fn name(b: &TestBackend)`; `both!(name)` makes the
//! module `name` with the tests `name::sqlite` and `name::postgres`. The
//! PostgreSQL run uses the server named by `CHATCORE_TEST_POSTGRES_URL`;
//! without it, it prints once per test process that it was skipped and
//! passes. Each PostgreSQL store gets a new schema, dropped when the test
//! ends.

use chatcore::{Config, Store};
use std::sync::{Mutex, Once};

/// The variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_URL_ENV: &str = "CHATCORE_TEST_POSTGRES_URL";

/// The backend a test runs on, and the stores and schemas it made.
pub struct TestBackend {
    postgres: Option<String>,
    /// Temp dirs of SQLite files and schemas to drop, kept to the end.
    guards: Mutex<Vec<Guard>>,
}

enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema { url: String, name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Schema { url, name } = self
            && let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
        }
    }
}

impl TestBackend {
    /// The SQLite backend.
    pub fn sqlite() -> TestBackend {
        TestBackend {
            postgres: None,
            guards: Mutex::new(Vec::new()),
        }
    }

    /// The PostgreSQL backend, or `None` (after saying so once) when
    /// `CHATCORE_TEST_POSTGRES_URL` is not set.
    pub fn postgres() -> Option<TestBackend> {
        match postgres_url() {
            Some(url) => Some(TestBackend {
                postgres: Some(url),
                guards: Mutex::new(Vec::new()),
            }),
            None => {
                static SKIPPED: Once = Once::new();
                SKIPPED.call_once(|| {
                    say_skipped(&format!(
                        "skipped: {POSTGRES_URL_ENV} is not set (PostgreSQL runs of this file)"
                    ))
                });
                None
            }
        }
    }

    /// Whether this is the PostgreSQL backend.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A new store with cheap password hashing.
    pub fn store(&self) -> Store {
        self.store_with(Config::insecure_fast_for_tests())
    }

    /// A new store with these settings (SQLite: in memory).
    pub fn store_with(&self, config: Config) -> Store {
        match &self.postgres {
            None => Store::open_in_memory_with(config).unwrap(),
            Some(_) => Store::open_with(self.location(), config).unwrap(),
        }
    }

    /// Where a new, empty store can be opened (several times, from several
    /// threads or processes): a file in a new temp dir, or a URL naming a
    /// new schema.
    pub fn location(&self) -> String {
        let mut guards = self.guards.lock().unwrap();
        match &self.postgres {
            None => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("chat.db").to_str().unwrap().to_string();
                guards.push(Guard::Dir(dir));
                path
            }
            Some(url) => {
                let name = format!("chatcore_test_{}", uuid::Uuid::new_v4().simple());
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                client
                    .batch_execute(&format!("CREATE SCHEMA {name}"))
                    .unwrap();
                guards.push(Guard::Schema {
                    url: url.clone(),
                    name: name.clone(),
                });
                with_schema(url, &name)
            }
        }
    }
}

/// The test server's URL, if one is set.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
}

/// `url` with its `search_path` set to `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// Makes, for each `fn name(b: &TestBackend)`, the tests `name::sqlite`
/// and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&$crate::common::TestBackend::sqlite())
            }

            #[test]
            fn postgres() {
                if let Some(backend) = $crate::common::TestBackend::postgres() {
                    super::$name(&backend)
                }
            }
        }
    )*};
}

impl TestBackend {
    /// A new store that can be opened again at the returned location (a
    /// file path, or a URL read as a path by `Store::open`).
    pub fn shared_store(&self) -> (std::path::PathBuf, Store) {
        let location = self.location();
        let store = Store::open_with(&location, Config::insecure_fast_for_tests()).unwrap();
        (location.into(), store)
    }
}

/// Says a test was skipped, straight to stderr: the test harness captures
/// `eprintln!` of a passing test, and this line must show in every run.
fn say_skipped(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
