//! PostgreSQL's side: counting what a location stored.

use chatcore_reliability::check_file;
use std::path::Path;

/// The messages stored at `location`: the file check (integrity, counters)
/// of a file, a count on the server for a PostgreSQL URL (whose counters
/// `verify_unread` checked at every step).
pub(crate) fn stored_messages(location: &Path) -> u64 {
    match location.to_str().filter(|l| l.starts_with("postgres")) {
        Some(url) => {
            let count: i64 = pgtest::connect(url)
                .query_one("SELECT count(*) FROM messages", &[])
                .unwrap()
                .get(0);
            count as u64
        }
        None => check_file(location).messages,
    }
}
