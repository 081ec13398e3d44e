//! PostgreSQL's side: a schema per case, and counting what a location stored.

use chatcore_reliability::check_file;
use std::path::Path;

/// A schema of the test server, dropped with the value.
pub(crate) struct Schema {
    pub(crate) server: String,
    pub(crate) name: String,
    pub(crate) url: String,
}

impl Schema {
    pub(crate) fn new(server: &str) -> Schema {
        let name = format!("chatrel_model_{}", uuid::Uuid::new_v4().simple());
        postgres::Client::connect(server, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-csearch_path%3D{name}");
        Schema {
            server: server.to_string(),
            name,
            url,
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
        }
    }
}

/// The messages stored at `location`: the file check (integrity, counters)
/// of a file, a count on the server for a PostgreSQL URL (whose counters
/// `verify_unread` checked at every step).
pub(crate) fn stored_messages(location: &Path) -> u64 {
    match location.to_str().filter(|l| l.starts_with("postgres")) {
        Some(url) => {
            let count: i64 = postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_one("SELECT count(*) FROM messages", &[])
                .unwrap()
                .get(0);
            count as u64
        }
        None => check_file(location).messages,
    }
}
