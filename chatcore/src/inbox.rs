//! The inbox: a user's threads, newest activity first, each with the other
//! participant, the last message and the user's unread count in it.

use crate::accounts::Session;
use crate::error::{Error, Result};
use crate::ids::ThreadId;
use crate::page;
use crate::storage::InboxKey;
use crate::threads::{existing, require_participant};
use serde::Serialize;

pub use crate::models::ThreadSummary;

/// A page of the inbox, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadPage {
    /// The threads on this page.
    pub items: Vec<ThreadSummary>,
    /// Pass to [`ThreadQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Which page of the inbox to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadQuery<'a> {
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<&'a str>,
    /// Page size; default 50, at most 500.
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------------------
// Rules

/// The top of every inbox.
const START: InboxKey = InboxKey {
    activity_ms: i64::MAX,
    thread_id: i64::MAX,
};

/// An inbox cursor is the last entry's activity time and thread id.
fn encode(key: InboxKey) -> String {
    format!("{}:{}", key.activity_ms, key.thread_id)
}

fn decode(text: &str) -> Result<InboxKey> {
    let malformed = || {
        Error::InvalidArgument(format!(
            "malformed thread cursor {text:?}; pass a next_cursor exactly as returned"
        ))
    };
    let (activity, thread) = text.split_once(':').ok_or_else(malformed)?;
    Ok(InboxKey {
        activity_ms: activity.parse().map_err(|_| malformed())?,
        thread_id: thread.parse().map_err(|_| malformed())?,
    })
}

// ---------------------------------------------------------------------------
// Operations

impl Session {
    /// One thread as the inbox shows it: with the other participant, the
    /// last message and this user's unread count in it.
    ///
    /// # Errors
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`], or a session error.
    pub fn thread_summary(&self, id: ThreadId) -> Result<ThreadSummary> {
        self.read(|tx, caller| {
            let thread = existing(tx, id)?;
            require_participant(&thread, caller.user_id)?;
            tx.summary(caller.user_id, id)?
                .ok_or_else(|| Error::storage(format!("thread {id} has no member row")))
        })
    }

    /// The user's threads, newest activity first, each with the other
    /// participant, the last message and the user's unread count in it.
    /// Keyset-paged: each page costs the same however deep.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad limit or cursor, or a session error.
    pub fn list_threads(&self, query: &ThreadQuery<'_>) -> Result<ThreadPage> {
        let limit = page::limit(query.limit)?;
        let key = match query.cursor {
            Some(text) => decode(text)?,
            None => START,
        };
        let now = self.store.now();
        self.store.read_fused(|tx| {
            let (session, fetched) = tx.inbox_context(self.token_hash(), key, limit + 1)?;
            let caller = self.caller_of(session, now)?;
            let mut items = match fetched {
                Some(items) => items,
                None => tx.inbox(caller.user_id, key, limit + 1)?,
            };
            let next_cursor = match items.len() > limit as usize {
                true => {
                    items.truncate(limit as usize);
                    items.last().map(|(summary, activity_ms)| {
                        encode(InboxKey {
                            activity_ms: *activity_ms,
                            thread_id: summary.thread.id.0,
                        })
                    })
                }
                false => None,
            };
            Ok(ThreadPage {
                items: items.into_iter().map(|(summary, _)| summary).collect(),
                next_cursor,
            })
        })
    }
}
