//! What [`Store::copy_to`](crate::Store::copy_to) needs of a backend beyond
//! the other storage traits: every stored field of a row, read in keyset
//! pages, and written back with explicit values.
//!
//! The copy inserts users, sessions, threads and messages with their ids
//! through the ordinary inserts ([`AccountStorage::insert_user`],
//! [`AccountStorage::insert_session`], [`ThreadStorage::insert_thread`],
//! [`MessageStorage::insert_message`]); these methods add what those do not
//! carry (the stored keys and counters, member read state and clear marks);
//! a message's `edited_at` and `deleted_at` are written back through
//! [`LifeStorage`](super::LifeStorage). All are plain
//! reads and writes: no rule is decided here.
//!
//! [`AccountStorage::insert_user`]: super::AccountStorage::insert_user
//! [`AccountStorage::insert_session`]: super::AccountStorage::insert_session
//! [`ThreadStorage::insert_thread`]: super::ThreadStorage::insert_thread
//! [`MessageStorage::insert_message`]: super::MessageStorage::insert_message

use super::SessionRow;
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Message, User};
use chrono::{DateTime, Utc};

/// A user as stored: the record, the uniqueness keys exactly as stored (not
/// recomputed: a key kept from an older rule must survive a copy), the
/// password hash and the unread total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserRow {
    /// The user.
    pub user: User,
    /// `users.email_key` as stored.
    pub email_key: String,
    /// `users.username_key` as stored.
    pub username_key: String,
    /// The password hash, or `None` for an account that cannot log in.
    pub password_hash: Option<String>,
    /// `users.unread_total` as stored.
    pub unread_total: i64,
    /// The highest change feed entry id of the user, kept or pruned (0 for
    /// none): a copy, which does not copy the entries, marks the user's
    /// feed pruned through it.
    pub changes_through: i64,
}

/// One participant's member row of a thread, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberRow {
    /// The participant.
    pub user_id: UserId,
    /// The thread.
    pub thread_id: ThreadId,
    /// The member's activity time (the inbox order).
    pub last_activity_at: DateTime<Utc>,
    /// The member's unread counter.
    pub unread: i64,
    /// The member's read mark.
    pub last_read_id: MessageId,
    /// The member's clear mark (`LifeStorage::cleared_through`), `None` if
    /// they never cleared the thread.
    pub cleared_through: Option<MessageId>,
}

/// A position in the (thread id, user id) order of member rows: rows
/// strictly after it come next. `(0, 0)` is before every row.
pub(crate) type MemberKey = (ThreadId, UserId);

/// Whole-store reads and exact writes for copying a store.
pub(crate) trait CopyStorage {
    /// How many users, sessions (expired ones too), threads and messages
    /// the store holds, in that order, counted in one snapshot.
    fn row_counts(&mut self) -> Result<[i64; 4]>;
    /// Up to `limit` users with ids in `(after, up_to]`, by id, each with
    /// every stored field ([`UserRow`]).
    fn user_rows_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<UserRow>>;
    /// Up to `limit` sessions (expired ones too) of users with ids at most
    /// `up_to_user`, with session ids above `after` (`None`: from the
    /// first), ordered by session id as [`uuid::Uuid`] orders it (its 16
    /// bytes; also the order of its lowercase hyphenated text), each with
    /// its stored token hash.
    fn sessions_page(
        &mut self,
        after: Option<uuid::Uuid>,
        up_to_user: i64,
        limit: u32,
    ) -> Result<Vec<(SessionRow, [u8; 32])>>;
    /// Up to `limit` messages with ids in `(after, up_to]`, by id (with
    /// `edited_at` and `deleted_at`), each with its client key (`None` for a
    /// send without one).
    fn message_rows_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(Message, Option<String>)>>;
    /// Up to `limit` member rows of threads with ids at most `up_to_thread`,
    /// strictly after `after` in (thread id, user id) order.
    fn member_rows_page(
        &mut self,
        after: MemberKey,
        up_to_thread: i64,
        limit: u32,
    ) -> Result<Vec<MemberRow>>;
    /// Sets the activity time, unread counter, read mark and clear mark of
    /// the existing member row `(row.user_id, row.thread_id)` to those of
    /// `row`, in one write; whether the row exists (`false`: nothing
    /// written).
    fn set_member_row(&mut self, row: &MemberRow) -> Result<bool>;
    /// Makes the change feed of a copy number on from the source's: the
    /// next entry's id is above `highest` (the source's highest entry id).
    fn continue_change_ids_after(&mut self, highest: i64) -> Result<()>;
}
