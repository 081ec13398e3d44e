//! An embedded chat store: users, login sessions, two-person threads and
//! their messages, in one SQLite file.
//!
//! Open a [`Store`], [`register`](Store::register) and
//! [`login`](Store::login) to get a [`Session`], and act through it: every
//! user action checks the session first, and every rule (who may read a
//! thread, who may mark a message read) is enforced here, in one place.
//!
//! ```
//! use chatcore::{Config, MessageQuery, NewUser, Store};
//!
//! let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
//! let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
//! let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
//!
//! let ann_session = store.login("ann@example.com", "correct horse")?;
//! let (thread, created) = ann_session.create_thread(&[ann.id, bob.id])?;
//! assert!(created);
//! ann_session.send(thread.id, "hi Bob")?;
//!
//! let bob_session = store.login("bob@example.com", "battery staple")?;
//! assert_eq!(bob_session.unread_count()?, 1);
//! let page = bob_session.list_messages(thread.id, &MessageQuery::default())?;
//! assert_eq!(page.items[0].text, "hi Bob");
//! assert_eq!(bob_session.mark_thread_read(thread.id, None)?, 1);
//! assert_eq!(bob_session.unread_count()?, 0);
//! # Ok::<(), chatcore::Error>(())
//! ```
//!
//! Times are UTC [`chrono::DateTime`]s, serialized as RFC 3339 in UTC with
//! exactly three fractional digits (`2026-03-10T12:00:00.000Z`, the store's
//! millisecond precision). Every model implements `serde::Serialize` with
//! snake_case fields.

#![warn(missing_docs)]

mod accounts;
mod bulk;
mod changes;
mod config;
mod copy;
mod django;
mod error;
mod export;
mod feed;
pub mod files;
mod history;
mod ids;
mod import_limits;
mod inbox;
mod key;
mod lifecycle;
mod location;
mod lookup;
mod messages;
mod models;
mod names;
mod page;
mod password;
mod postgres;
mod rfc3339;
pub mod search;
pub mod search_query;
mod sqlite;
mod storage;
mod store;
mod stored_hash;
#[cfg(test)]
mod test_backends;
mod threads;
mod unread_check;
mod waits;

pub use accounts::{
    MAX_EMAIL_BYTES, MAX_NAME_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, NewUser, Session,
    SessionInfo, validate_password,
};
pub use bulk::{BULK_CACHE_KIB, BulkLoad, BulkMessage, BulkStats, BulkUser};
pub use changes::ChangesIter;
pub use config::{Checkpoints, Clock, Config, Durability, ManualClock, PasswordCost, SystemClock};
pub use copy::{CopyProgress, CopyReport, CopyStage};
pub use django::ImportReport;
pub use error::{Error, Result};
pub use feed::{Change, ChangeCursor, ChangeKind, ChangePage, PRUNE_STEP};
pub use ids::{MessageId, ThreadId, UserId};
pub use import_limits::{
    AccountWithoutLogin, MAX_IMPORT_ENTRY_BYTES, MAX_IMPORTED_ID, NoLoginReason,
};
pub use inbox::{ThreadPage, ThreadQuery};
pub use key::{DatabaseKey, RAW_KEY_BYTES};
pub use location::Location;
pub use lookup::{EMAIL_PREFIX, ID_PREFIX, USERNAME_PREFIX, UserCandidate, UserRef};
pub use messages::{MAX_CLIENT_KEY_BYTES, MessagePage, MessageQuery, UnreadMismatch, UnreadReport};
pub use models::{Message, Thread, ThreadSummary, User};
pub use page::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use search::{SearchHit, SearchOrder, SearchPage, SearchQuery};
pub use store::Store;
pub use uuid::Uuid;

/// The schema version this library writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = sqlite::schema::VERSION;
/// The schema version that adds a message's life (edits, withdrawn
/// messages, clear marks); the version before it has none of them.
pub const LIFE_SCHEMA_VERSION: i64 = sqlite::schema::LIFE_VERSION;

/// The schema version that added the search index (files below it get the
/// index built when opened).
pub const SEARCH_SCHEMA_VERSION: i64 = sqlite::schema::SEARCH_VERSION;

/// The schema version that added the change feed (files below it get an
/// empty feed when opened).
pub const FEED_SCHEMA_VERSION: i64 = sqlite::schema::FEED_VERSION;

/// The schema version that indexes new messages for search in batches of
/// 64 (files below it keep every message indexed; the upgrade only replaces
/// the index's triggers).
pub const SEARCH_QUEUE_SCHEMA_VERSION: i64 = sqlite::schema::SEARCH_QUEUE_VERSION;

/// The schema version the search step upgrades from (for migration tests).
#[doc(hidden)]
pub const SCHEMA_VERSION_BEFORE_SEARCH: i64 = sqlite::schema::BEFORE_SEARCH;

/// The schema version this library writes in a PostgreSQL store (the
/// highest row of its `chatcore_schema_version` table).
pub const POSTGRES_SCHEMA_VERSION: i64 = crate::postgres::schema::VERSION;
