//! [`SearchStorage`]: the full-text index of the messages, as the domain
//! module `search` asks for it. The query rules (what a typed query means)
//! are `search_query`'s; a backend only translates a [`ParsedQuery`] into
//! its own syntax, always quoting each term's text as a literal.

use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Message, User};
use crate::search_query::{ParsedQuery, SearchOrder};

/// Where a page of hits continues: hits strictly after this one in the
/// page's order come next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SearchKey {
    /// The last hit's rank (lower is better; ignored for
    /// [`SearchOrder::Recent`]).
    pub rank: f64,
    /// The last hit's message id.
    pub id: MessageId,
}

/// One search, as the backend runs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchPlan<'a> {
    /// Whose threads are searched: only messages of threads `user` is a
    /// member of are hits (the one visibility filter).
    pub user: UserId,
    /// What must and must not match.
    pub query: &'a ParsedQuery,
    /// Only this thread, if given.
    pub thread: Option<ThreadId>,
    /// [`SearchOrder::Relevance`]: rank ascending (the backend's relevance,
    /// bm25 on SQLite, lower is better), then id descending;
    /// [`SearchOrder::Recent`]: id descending.
    pub order: SearchOrder,
    /// Continue after this hit; `None` for the first page.
    pub after: Option<SearchKey>,
    /// At most this many hits.
    pub limit: u32,
}

/// One hit as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchRow {
    /// The message.
    pub message: Message,
    /// The other participant of its thread (for the searching user).
    pub other: User,
    /// A short excerpt of the text around the matches, each match between
    /// the markers [`MATCH_OPEN`] and [`MATCH_CLOSE`], cut ends marked `…`.
    pub snippet: String,
    /// The hit's rank, for the cursor (0 for [`SearchOrder::Recent`]).
    pub rank: f64,
}

/// The start marker of a match in [`SearchRow::snippet`]: a control
/// character, which message texts never hold (`messages::validate_text`).
pub(crate) const MATCH_OPEN: char = '\u{1}';
/// The end marker of a match; see [`MATCH_OPEN`].
pub(crate) const MATCH_CLOSE: char = '\u{2}';

/// The full-text index. It follows the messages, either in the same
/// transaction or, where a backend batches the work (SQLite: 64 sends at a
/// time, `sqlite::search_queue`), with some messages pending: then
/// [`SearchStorage::search_pending`] says so and
/// [`SearchStorage::index_pending`] indexes them, and the domain calls it
/// before a search or a check, so a search always sees every message
/// committed before it. A backend that indexes in the same transaction
/// keeps the provided methods (never pending).
pub(crate) trait SearchStorage {
    /// The hits of `plan`, in its order, at most `plan.limit`.
    fn search(&mut self, plan: &SearchPlan<'_>) -> Result<Vec<SearchRow>>;
    /// Rebuilds the whole index from the messages; returns how many
    /// messages it indexed.
    fn rebuild_search_index(&mut self) -> Result<u64>;
    /// Checks the index against the messages: `None` if it agrees, or what
    /// is wrong, for people.
    fn check_search_index(&mut self) -> Result<Option<String>>;
    /// Whether messages wait to be indexed (see the trait's documentation).
    fn search_pending(&mut self) -> Result<bool> {
        Ok(false)
    }
    /// Indexes the messages that wait to be; returns how many it indexed.
    fn index_pending(&mut self) -> Result<u64> {
        Ok(0)
    }
}
