//! Test support for the PostgreSQL runs of the workspace's tests, in one
//! place: which server they may use, the line they print when there is
//! none, and a fresh schema per store, dropped when the test ends.
//!
//! The server is named by [`URL_ENV`]. Without it every PostgreSQL test
//! passes after [`server`] has printed one line, once per test program,
//! saying it was skipped.
//!
//! ```no_run
//! if let Some(server) = pgtest::server("the example") {
//!     let schema = pgtest::Schema::new(&server, "example");
//!     // A store opened at `schema.url()` lives in this schema alone.
//!     assert!(schema.url().contains(schema.name()));
//! } // the schema is dropped here
//! ```

use std::io::Write as _;
use std::sync::Once;

/// The variable naming the PostgreSQL server the tests may use (a
/// `postgres://` URL of a role that may create schemas).
pub const URL_ENV: &str = "CHATCORE_TEST_POSTGRES_URL";

/// The test server's URL, if [`URL_ENV`] is set and not empty.
pub fn server_url() -> Option<String> {
    std::env::var(URL_ENV).ok().filter(|url| !url.is_empty())
}

/// The test server's URL; without one, prints once per test program
/// `skipped: CHATCORE_TEST_POSTGRES_URL is not set (<what>)` and returns
/// `None`.
pub fn server(what: &str) -> Option<String> {
    let url = server_url();
    if url.is_none() {
        static SKIPPED: Once = Once::new();
        SKIPPED.call_once(|| say(&format!("skipped: {URL_ENV} is not set ({what})")));
    }
    url
}

/// Writes `line` straight to the process's stderr, which the test harness
/// does not capture, so it shows in every run (`eprintln!` output of a
/// passing test is swallowed).
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `url` with the connection option that makes `schema` the only schema
/// on the search path: how stores share a server, and tests isolate.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// A new, empty schema on the test server, dropped (with everything in
/// it) when the value is. Its name is `<prefix>_<random uuid>`, unique
/// across threads and processes.
pub struct Schema {
    server: String,
    name: String,
    url: String,
}

impl Schema {
    /// Creates the schema.
    ///
    /// # Panics
    /// When the server cannot be reached or refuses `CREATE SCHEMA`: a
    /// test cannot go on without it, and the message says why.
    pub fn new(server: &str, prefix: &str) -> Schema {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        admin(server)
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap_or_else(|err| panic!("cannot create schema {name} on {URL_ENV}: {err}"));
        Schema {
            url: with_search_path(server, &name),
            server: server.to_string(),
            name,
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of a store in this schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's URL, without the schema.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// A new connection to the schema, for looking at what a store wrote.
    ///
    /// # Panics
    /// When the server cannot be reached.
    pub fn client(&self) -> postgres::Client {
        connect(&self.url)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// A new connection to `url` without TLS.
///
/// # Panics
/// When the server cannot be reached.
pub fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|err| panic!("cannot connect to the test server ({URL_ENV}): {err}"))
}

fn admin(server: &str) -> postgres::Client {
    connect(server)
}
