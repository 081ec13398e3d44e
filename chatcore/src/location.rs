//! Where a store lives, decided from the one string a caller gives
//! ([`Store::open`](crate::Store::open), `chat_open`, `chat --db`).

use std::path::{Path, PathBuf};

/// Where a store lives: an SQLite file, or a PostgreSQL database.
///
/// [`Location::parse`] is the one place the string is read:
/// - `postgres://…` or `postgresql://…` is a PostgreSQL URL;
/// - text that starts with a libpq key (`host=`, `dbname=`, `user=`,
///   `port=`, `hostaddr=`, `service=`, …) is a PostgreSQL key-value string
///   (`host=db.example dbname=chat`);
/// - anything else is a file path. A file whose name looks like one of the
///   above is given with a folder in front: `./host=x.db`.
///
/// ```
/// use chatcore::Location;
///
/// assert!(matches!(Location::parse("chat.db"), Location::File(_)));
/// assert!(matches!(Location::parse("postgresql://chat@db.example/chat"), Location::Postgres(_)));
/// assert!(matches!(Location::parse("host=/var/run/postgresql dbname=chat"), Location::Postgres(_)));
/// assert!(matches!(Location::parse("./host=x.db"), Location::File(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database file.
    File(PathBuf),
    /// A PostgreSQL connection string (URL or key-value form), as given.
    Postgres(String),
}

/// The libpq keys a key-value connection string may start with.
const KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "options",
    "application_name",
    "connect_timeout",
    "sslmode",
    "sslrootcert",
    "service",
    "target_session_attrs",
    "channel_binding",
    "keepalives",
];

impl Location {
    /// Reads `text` as a location (see the type's docs).
    pub fn parse(text: impl AsRef<Path>) -> Location {
        let path = text.as_ref();
        let Some(text) = path.to_str() else {
            return Location::File(path.to_path_buf());
        };
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Location::Postgres(text.to_string());
        }
        let first = text.trim_start();
        let key = first
            .split(|c: char| c == '=' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        let after_key = first[key.len()..].trim_start();
        if KEYS.contains(&key) && after_key.starts_with('=') {
            return Location::Postgres(text.to_string());
        }
        Location::File(path.to_path_buf())
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn the_string_decides_the_backend() {
        for postgres in [
            "postgres://u@h/db",
            "postgresql:///chat?host=/tmp",
            "host=h dbname=chat",
            "  dbname = chat",
            "user=ann",
        ] {
            assert!(Location::parse(postgres).is_postgres(), "{postgres}");
        }
        for file in [
            "chat.db",
            "./postgres://x",
            "./host=x",
            "hostname=x",
            "host",
            "/data/host=x",
            "postgres:/x",
            "",
        ] {
            assert_eq!(Location::parse(file), Location::File(file.into()), "{file}");
        }
    }
}
