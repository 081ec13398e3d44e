//! One test, two backends: `both!(name)` runs the test function `name` on
//! an in-memory SQLite store (`name::sqlite`) and on a fresh schema of the
//! PostgreSQL server named by `CHATCORE_TEST_POSTGRES_URL`
//! (`name::postgres`; without the variable it says once that it skipped).
//! [`open_store`](super::tests::open_store) asks [`fresh_url`] which one
//! the running test is on.

use std::cell::RefCell;

/// The variable naming the PostgreSQL server the tests may use.
const POSTGRES_URL_ENV: &str = "CHATCORE_TEST_POSTGRES_URL";

thread_local! {
    /// The server of the PostgreSQL case running on this thread, and the
    /// schemas it made (dropped when the case ends, even by a panic).
    static CASE: RefCell<Option<Case>> = const { RefCell::new(None) };
}

struct Case {
    server: String,
    schemas: Vec<String>,
}

/// Drops the case's schemas when the case ends.
struct EndCase;

impl Drop for EndCase {
    fn drop(&mut self) {
        let Some(case) = CASE.with(|cell| cell.borrow_mut().take()) else {
            return;
        };
        if let Ok(mut admin) = postgres::Client::connect(&case.server, postgres::NoTls) {
            for schema in case.schemas {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Runs `test` as the PostgreSQL case, or says (once per test process,
/// straight to stderr, which the harness does not capture) that it skipped.
pub(crate) fn on_postgres(test: fn()) {
    let Some(server) = std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
    else {
        static SKIPPED: std::sync::Once = std::sync::Once::new();
        SKIPPED.call_once(|| {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {POSTGRES_URL_ENV} is not set (PostgreSQL runs of the C ABI tests)"
            );
        });
        return;
    };
    CASE.with(|cell| {
        *cell.borrow_mut() = Some(Case {
            server,
            schemas: Vec::new(),
        })
    });
    let _end = EndCase;
    test();
}

/// In a PostgreSQL case: the URL of a new, empty schema on the server
/// (each store of the test gets its own). Otherwise `None`.
pub(crate) fn fresh_url() -> Option<String> {
    CASE.with(|cell| {
        let mut case = cell.borrow_mut();
        let case = case.as_mut()?;
        let schema = format!("chatffi_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = postgres::Client::connect(&case.server, postgres::NoTls)
            .unwrap_or_else(|err| panic!("cannot connect to {POSTGRES_URL_ENV}: {err}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap_or_else(|err| panic!("cannot create schema {schema}: {err}"));
        let separator = if case.server.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}options=-csearch_path%3D{schema}", case.server);
        case.schemas.push(schema);
        Some(url)
    })
}

/// Whether the running test is a PostgreSQL case.
pub(crate) fn is_postgres() -> bool {
    CASE.with(|cell| cell.borrow().is_some())
}

/// `both!(name)`: the test function `name` as `name::sqlite` and
/// `name::postgres`.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name();
            }

            #[test]
            fn postgres() {
                crate::test_backend::on_postgres(super::$name);
            }
        }
    };
}

pub(crate) use both;
