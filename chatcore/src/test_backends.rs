//! Helpers of the crate's own tests that run on both backends: a location
//! a store may be opened at several times (a file, then a new PostgreSQL
//! schema when `CHATCORE_TEST_POSTGRES_URL` names a server), stores with a
//! manual clock, users.

use crate::{Config, ManualClock, NewUser, Session, Store, User};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

/// Runs `test` with a location a store may be opened at several times:
/// a file, then a new PostgreSQL schema if there is a test server.
pub(crate) fn on_each_backend(test: impl Fn(&str)) {
    let dir = tempfile::tempdir().unwrap();
    test(dir.path().join("chat.db").to_str().unwrap());
    if let Some(server) = pgtest::server("PostgreSQL runs of the crate's two-backend tests") {
        let schema = pgtest::Schema::new(&server, "chatcore_unit");
        test(schema.url());
    }
}

/// The manual clocks' starting time.
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// A store at `location` whose clock is `clock`.
pub(crate) fn open(location: &str, clock: &Arc<ManualClock>) -> Store {
    let config = Config::insecure_fast_for_tests().clock(clock.clone());
    Store::open_with(location, config).unwrap()
}

/// Registers `name` (`name@example.com`, password `name password`) and
/// logs them in.
pub(crate) fn user(store: &Store, name: &str) -> (User, Session) {
    let email = format!("{name}@example.com");
    let password = format!("{name} password");
    let user = store
        .register(&NewUser {
            email: &email,
            username: name,
            password: &password,
            ..Default::default()
        })
        .unwrap();
    (user, store.login(&email, &password).unwrap())
}

/// `session`'s row as stored.
pub(crate) fn session_row(session: &Session) -> crate::storage::SessionRow {
    session
        .store
        .read(|tx| tx.session(session.token_hash()))
        .unwrap()
        .unwrap()
}
