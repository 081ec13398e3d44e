//! [`FeedStorage`]: what the change feed (`feed`, `changes`) asks of a
//! database.

use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Message;
use chrono::{DateTime, Utc};

/// An entry to append to one user's change feed. `kind` is the feed's
/// stable kind number (`feed::ChangeKind::code`); the ids are whatever
/// that kind involves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewChange {
    /// Whose feed.
    pub user: UserId,
    /// The kind number.
    pub kind: i64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    /// The thread involved, if any.
    pub thread_id: Option<ThreadId>,
    /// The message involved (or a read mark), if any.
    pub message_id: Option<MessageId>,
    /// The other user involved, if any.
    pub other_id: Option<UserId>,
}

/// One stored feed entry, with the message its `message_id` names joined
/// as it is now (`None` if there is none any more, e.g. its thread was
/// deleted).
#[derive(Debug, Clone)]
pub(crate) struct ChangeRow {
    /// The entry's id: its position in commit order.
    pub id: i64,
    /// The kind number as stored.
    pub kind: i64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    /// The thread involved, if any.
    pub thread_id: Option<ThreadId>,
    /// The message id (or read mark), if any.
    pub message_id: Option<MessageId>,
    /// The other user involved, if any.
    pub other_id: Option<UserId>,
    /// The message with id `message_id`, if it still exists.
    pub message: Option<Message>,
}

/// The change feed: per-user entries whose ids grow in commit order.
pub(crate) trait FeedStorage {
    /// Appends an entry to `new.user`'s feed, numbered one past the user's
    /// newest entry (`seq` 1 for the first). Returns its id and `seq`. An
    /// entry committed after another has a higher id (on a backend where
    /// that is not given by the id counter, the backend must make it so).
    fn append_change(&mut self, new: &NewChange) -> Result<(i64, i64)>;
    /// Appends one entry of `kind` at `at`, with no ids, to every user's
    /// feed; returns how many.
    fn append_change_for_every_user(&mut self, kind: i64, at: DateTime<Utc>) -> Result<u64>;
    /// The user's oldest kept entry: its id, `seq` and time.
    fn oldest_change(&mut self, user: UserId) -> Result<Option<(i64, i64, DateTime<Utc>)>>;
    /// Up to `limit` of the user's oldest entries: id, `seq` and time, by id.
    fn oldest_changes(
        &mut self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>>;
    /// The id of the user's newest entry (0 for none).
    fn newest_change_id(&mut self, user: UserId) -> Result<i64>;
    /// The highest entry id the store ever gave (pruned entries included;
    /// 0 for none).
    fn highest_change_id(&mut self) -> Result<i64>;
    /// The highest entry id pruned from the user's feed (0 for none).
    fn changes_pruned_through(&mut self, user: UserId) -> Result<i64>;
    /// Deletes the user's entries with ids up to `through` and records
    /// `through` as pruned (never lowering the mark); how many it deleted.
    fn prune_changes(&mut self, user: UserId, through: i64) -> Result<u64>;
    /// Up to `limit` of the user's entries with ids above `after`, by id.
    fn changes_after(&mut self, user: UserId, after: i64, limit: u32) -> Result<Vec<ChangeRow>>;
}
