//! [`LifeStorage`]: what a message's life after its send (`lifecycle`)
//! asks of a database.

use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
#[allow(unused_imports)] // doc links
use crate::storage::{MessageStorage, ThreadStorage};
use chrono::{DateTime, Utc};

/// A message's life after its send ([`LifeStorage`]): edits, withdrawals
/// (delete for everyone) and per-member clear marks (clear for me).
///
/// How the rest of the seam treats them (every backend must agree):
/// - a withdrawn message (`deleted_at` set) keeps its row, so history pages
///   stay exact; it is never unread: [`MessageStorage::set_message_read`]
///   and [`MessageStorage::set_messages_read`] skip it and
///   [`MessageStorage::recount_member_unread`] does not count it;
/// - a member's clear mark `c` (see [`LifeStorage::cleared_through`]) hides
///   the thread's messages with ids `<= c` from that member only:
///   [`MessageStorage::recount_member_unread`] counts only ids above it,
///   [`ThreadStorage::summary`] and [`ThreadStorage::inbox`] give no last
///   message at or below it, and [`ThreadStorage::inbox`] leaves out the
///   member's threads whose newest message id is not above it (an empty
///   thread included). A member who never cleared has no mark.
pub(crate) trait LifeStorage {
    /// Replaces the text of message `id` and sets its `edited_at`. The old
    /// text must not stay readable in the store's files beyond what the
    /// backend's own log keeps until it is recycled (SQLite: `secure_delete`
    /// zeroes it in the pages).
    fn set_message_text(
        &mut self,
        id: MessageId,
        text: &str,
        edited_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Withdraws message `id`: sets `deleted_at` and replaces the text with
    /// the empty string, overwriting the old bytes (as for
    /// [`LifeStorage::set_message_text`]). Id, thread, sender, `created_at`,
    /// `read_at`, `edited_at` and the client key stay.
    fn withdraw_message(&mut self, id: MessageId, deleted_at: DateTime<Utc>) -> Result<()>;
    /// The member's clear mark: `None` if `user` never cleared the thread
    /// (or is not a member), else the newest message id when they last
    /// cleared it (`MessageId(0)` for a thread that was empty).
    fn cleared_through(&mut self, user: UserId, thread: ThreadId) -> Result<Option<MessageId>>;
    /// Sets the member's clear mark.
    fn set_cleared_through(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()>;
}
