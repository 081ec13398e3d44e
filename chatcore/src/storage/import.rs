//! What an import or an export of a whole store asks of a backend beyond
//! the per-aggregate traits: rows keeping their own ids, references checked
//! at the end, the activity recompute and id-ordered pages.

use crate::error::Result;
use crate::models::{Message, Thread, User};

/// A row an import wrote that names a user who exists neither in the file
/// nor in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DanglingReference {
    /// A thread (by id) with a missing participant.
    Thread(i64),
    /// A message (by id) with a missing sender.
    Message(i64),
    /// A row of another table.
    Other(String),
}

/// What an import (rows with their own ids, references checked at the end)
/// needs beyond the per-aggregate traits.
pub(crate) trait ImportStorage {
    /// An import is starting in this transaction: references between rows
    /// are checked when [`ImportStorage::first_dangling_reference`] asks,
    /// not at each insert (a file may name a user before it defines it).
    fn begin_import(&mut self) -> Result<()>;
    /// The first row (threads and messages first) that names a missing user.
    fn first_dangling_reference(&mut self) -> Result<Option<DanglingReference>>;
    /// Sets every thread's newest message and activity from its messages
    /// (activity never moves back), and every member's activity to its
    /// thread's. Also brings the store's id counters past the ids the
    /// import gave. It ends every bulk write (bulk load, import, copy): a
    /// backend with a query planner also refreshes its statistics here.
    fn recompute_activity(&mut self) -> Result<()>;
    /// The highest user, thread and message ids (0 for none), where an
    /// export stops.
    fn highest_ids(&mut self) -> Result<[i64; 3]>;
    /// Up to `limit` users with ids in `(after, up_to]`, by id, each with
    /// its password hash.
    fn users_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(User, Option<String>)>>;
    /// Up to `limit` threads with ids in `(after, up_to]`, by id.
    fn threads_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Thread>>;
    /// Up to `limit` messages with ids in `(after, up_to]`, by id.
    fn messages_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<Message>>;
}
