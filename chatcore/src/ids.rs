//! Typed ids, so a thread id is never passed where a message id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, as stored and as used by the C ABI.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                $name(raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    };
}

typed_id!(
    /// The id of a user.
    UserId
);
typed_id!(
    /// The id of a two-person thread.
    ThreadId
);
typed_id!(
    /// The id of a message; ids grow monotonically across the whole store and are never reused.
    MessageId
);

/// Turns SQLite's "database or disk is full" into what it means when an id
/// space is used up: tables with `AUTOINCREMENT` refuse a new row once their
/// largest id is 2^63 − 1 (only an old import could get there; imports now
/// stop at [`MAX_IMPORTED_ID`](crate::MAX_IMPORTED_ID)). Any other error,
/// and a truly full disk, pass through unchanged.
pub(crate) fn explain_used_up_ids(conn: &rusqlite::Connection, err: crate::Error) -> crate::Error {
    let crate::Error::Storage {
        source: Some(source),
        ..
    } = &err
    else {
        return err;
    };
    let full = source
        .downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
        == Some(rusqlite::ErrorCode::DiskFull);
    if !full {
        return err;
    }
    let used_up: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_sequence WHERE seq = ?1 ORDER BY name")
        .and_then(|mut stmt| {
            stmt.query_map([i64::MAX], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap_or_default();
    if used_up.is_empty() {
        return err;
    }
    let kinds: Vec<&str> = used_up
        .iter()
        .map(|table| match table.as_str() {
            "users" => "user",
            "threads" => "thread",
            "messages" => "message",
            other => other,
        })
        .collect();
    crate::Error::storage(format!(
        "the {} ids of this database are used up: the largest possible id, {}, is taken, so \
         no new one can be added (the disk is not full). An import made before imported ids \
         were bounded can cause this: import the original dump into a new database",
        kinds.join(" and "),
        i64::MAX
    ))
}
