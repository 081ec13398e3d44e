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
use std::sync::Mutex;

/// The backend a test runs on, and the stores and schemas it made.
pub struct TestBackend {
    postgres: Option<String>,
    /// Temp dirs of SQLite files and schemas to drop, kept to the end.
    guards: Mutex<Vec<Guard>>,
}

/// Kept to the end of the test: dropping one removes what it names.
enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema(#[allow(dead_code)] pgtest::Schema),
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
        pgtest::server("PostgreSQL runs of this file").map(|url| TestBackend {
            postgres: Some(url),
            guards: Mutex::new(Vec::new()),
        })
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
                let schema = pgtest::Schema::new(url, "chatcore_test");
                let location = schema.url().to_string();
                guards.push(Guard::Schema(schema));
                location
            }
        }
    }
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
