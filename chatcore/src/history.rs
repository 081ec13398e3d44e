//! A thread's history: the page types and [`Session::list_messages`].
//!
//! The newest page and pages before an id (the common case) are one fused
//! read (`FusedStorage::thread_context`: the session, the thread, the
//! caller's clear mark and the page together); pages after an id start
//! above the caller's clear mark, so they read it first, in a read
//! transaction.

use crate::accounts::Session;
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId};
use crate::models::Message;
use crate::page;
use crate::page::require_id;
use crate::threads::{self, existing, require_participant};
use serde::Serialize;

/// A page of a thread's history, always in ascending id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessagePage {
    /// The messages, oldest first.
    pub items: Vec<Message>,
    /// Whether more messages lie beyond this page in the direction paged:
    /// older ones for a `before` (or latest) page, newer ones for an `after` page.
    pub has_more: bool,
}

/// Which page of history to list. With neither `before` nor `after`, the
/// newest messages.
///
/// ```
/// use chatcore::{MessageId, MessageQuery};
/// let older = MessageQuery { before: Some(MessageId(120)), limit: Some(20), ..Default::default() };
/// assert!(older.after.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageQuery {
    /// The newest `limit` messages with ids below this one.
    pub before: Option<MessageId>,
    /// The oldest `limit` messages with ids above this one.
    pub after: Option<MessageId>,
    /// Page size; default 50, at most 500.
    pub limit: Option<u32>,
}

impl Session {
    /// A page of the thread's history, in ascending id order. Keyset-paged:
    /// each page costs the same however deep in the thread.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad limit, a negative id, or both
    /// `before` and `after`; [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`], or a session error.
    pub fn list_messages(&self, thread_id: ThreadId, query: &MessageQuery) -> Result<MessagePage> {
        let limit = page::limit(query.limit)?;
        let before = require_id("before", query.before)?;
        let after = require_id("after", query.after)?;
        let now = self.store.now();
        let Some(after) = after else {
            let before = before.unwrap_or(MessageId(i64::MAX));
            return self.store.read_fused(|tx| {
                let page = Some((before, limit + 1));
                let context = tx.thread_context(self.token_hash(), thread_id, page)?;
                let caller = self.caller_of(context.session, now)?;
                let thread = threads::found(context.thread, thread_id)?;
                require_participant(&thread, caller.user_id)?;
                let floor = match context.marks {
                    Some(marks) => marks.clear_mark,
                    None => tx.cleared_through(caller.user_id, thread_id)?,
                };
                let items = match context.page {
                    Some(items) => items,
                    None => tx.page_before(thread_id, before, limit + 1)?,
                };
                Ok(newest_first(items, floor, limit))
            });
        };
        self.read(|tx, caller| {
            let thread = existing(tx, thread_id)?;
            require_participant(&thread, caller.user_id)?;
            let floor = tx.cleared_through(caller.user_id, thread_id)?;
            if before.is_some() {
                return Err(Error::InvalidArgument(
                    "give either before or after, not both".to_string(),
                ));
            }
            // Messages at or below the caller's clear mark are not theirs
            // to see: an `after` page starts above it.
            let after = after.max(floor.unwrap_or(MessageId(0)));
            let mut items = tx.page_after(thread_id, after, limit + 1)?;
            let has_more = items.len() > limit as usize;
            items.truncate(limit as usize);
            Ok(MessagePage { items, has_more })
        })
    }
}

/// The page of a `before` (or newest) query from the `limit + 1` messages
/// read newest first: those the caller's clear mark (`floor`) does not
/// hide (a page newest first stops at it), in ascending id order.
fn newest_first(mut items: Vec<Message>, floor: Option<MessageId>, limit: u32) -> MessagePage {
    items.retain(|message| !threads::hidden_from(message, floor));
    let has_more = items.len() > limit as usize;
    items.truncate(limit as usize);
    items.reverse();
    MessagePage { items, has_more }
}
