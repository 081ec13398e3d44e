//! One test, two backends: `both!(name)` runs the test function `name` on
//! an in-memory SQLite store (`name::sqlite`) and on a fresh schema of the
//! PostgreSQL server named by `CHATCORE_TEST_POSTGRES_URL`
//! (`name::postgres`; without the variable it says once that it skipped).
//! [`open_store`](super::tests::open_store) asks [`fresh_url`] which one
//! the running test is on.

use std::cell::RefCell;

thread_local! {
    /// The server of the PostgreSQL case running on this thread, and the
    /// schemas it made (dropped when the case ends, even by a panic).
    static CASE: RefCell<Option<Case>> = const { RefCell::new(None) };
}

struct Case {
    server: String,
    schemas: Vec<pgtest::Schema>,
}

/// Ends the case when dropped: its schemas are dropped with it.
struct EndCase;

impl Drop for EndCase {
    fn drop(&mut self) {
        drop(CASE.with(|cell| cell.borrow_mut().take()));
    }
}

/// Runs `test` as the PostgreSQL case, or says (once per test process)
/// that it skipped.
pub(crate) fn on_postgres(test: fn()) {
    let Some(server) = pgtest::server("PostgreSQL runs of the C ABI tests") else {
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
        let schema = pgtest::Schema::new(&case.server, "chatffi_test");
        let url = schema.url().to_string();
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
