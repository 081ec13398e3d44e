//! Full-text search over the caller's own conversations.
//!
//! What a typed query means is decided in [`query`] (words as prefixes,
//! quoted phrases, `-` exclusions, substrings in scripts without spaces);
//! the backend keeps the index in step with the messages in the same
//! transaction and translates a parsed query into its own syntax
//! (`storage::SearchStorage`). Here: the page, the cursor and the snippet
//! markers.
//!
//! Paging is keyset: a cursor holds the last hit's rank and message id.
//! With [`SearchOrder::Recent`] pages are exact however the store changes
//! between them (new messages have higher ids and appear only on a new
//! first page). With [`SearchOrder::Relevance`] pages are exact while the
//! store does not change; a message sent between two pages shifts the
//! relevance weights (bm25 depends on how common each word is), so the next
//! page continues from the previous page's last rank with the new weights:
//! no hit is shown twice within a page, but one near the boundary may be
//! skipped or repeated.

pub use crate::search_query as query;

use crate::accounts::Session;
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId};
use crate::models::{Message, User};
use crate::page;
use crate::storage::search::{MATCH_CLOSE, MATCH_OPEN};
use crate::storage::{SearchKey, SearchPlan, SearchRow};
use crate::store::Store;
use crate::threads::{existing, require_participant};
use serde::Serialize;

pub use crate::search_query::{ParsedQuery, SearchOrder};

/// What to search for, and which page.
///
/// ```
/// use chatcore::{SearchOrder, SearchQuery};
/// let query = SearchQuery { text: "lunch -friday", order: SearchOrder::Recent, ..Default::default() };
/// assert_eq!(query.marks, ("[", "]"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchQuery<'a> {
    /// What the person typed (see [`query`] for what it means).
    pub text: &'a str,
    /// Only this thread, if given.
    pub thread: Option<ThreadId>,
    /// Page size; default 50, at most 500.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (of the same text, thread and
    /// order); `None` for the first page.
    pub cursor: Option<&'a str>,
    /// The order of the hits.
    pub order: SearchOrder,
    /// What goes before and after each match in the snippet, e.g. `("[", "]")`
    /// or terminal bold.
    pub marks: (&'a str, &'a str),
}

impl Default for SearchQuery<'_> {
    fn default() -> Self {
        SearchQuery {
            text: "",
            thread: None,
            limit: None,
            cursor: None,
            order: SearchOrder::Relevance,
            marks: ("[", "]"),
        }
    }
}

/// One message found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The message (its thread is `message.thread_id`).
    pub message: Message,
    /// The other participant of the thread.
    pub other: User,
    /// An excerpt of the text around the matches, each match between the
    /// query's marks; `…` where the text was cut.
    pub snippet: String,
    /// Where the marked matches are in `snippet`: byte ranges `[start, end)`
    /// of the matched text (without the marks).
    pub matches: Vec<[usize; 2]>,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    /// The hits, in the query's order.
    pub items: Vec<SearchHit>,
    /// Pass to [`SearchQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------
// Rules

/// A cursor is the order's letter, the rank's bits in hex and the id:
/// exact, so the next page starts exactly after the last hit.
fn encode(order: SearchOrder, key: SearchKey) -> String {
    match order {
        SearchOrder::Relevance => format!("r{:016x}:{}", key.rank.to_bits(), key.id.0),
        SearchOrder::Recent => format!("n{}", key.id.0),
    }
}

fn decode(order: SearchOrder, text: &str) -> Result<SearchKey> {
    let malformed = || {
        Error::InvalidArgument(format!(
            "malformed search cursor {text:?}; pass a next_cursor exactly as returned, with the same order"
        ))
    };
    let id = |raw: &str| raw.parse::<i64>().ok().filter(|id| *id >= 0).map(MessageId);
    match order {
        SearchOrder::Relevance => {
            let (rank, raw_id) = text
                .strip_prefix('r')
                .and_then(|rest| rest.split_once(':'))
                .ok_or_else(malformed)?;
            let bits = u64::from_str_radix(rank, 16).map_err(|_| malformed())?;
            let rank = f64::from_bits(bits);
            if rank.is_nan() {
                return Err(malformed());
            }
            Ok(SearchKey {
                rank,
                id: id(raw_id).ok_or_else(malformed)?,
            })
        }
        SearchOrder::Recent => Ok(SearchKey {
            rank: 0.0,
            id: text.strip_prefix('n').and_then(id).ok_or_else(malformed)?,
        }),
    }
}

/// Replaces the backend's match markers with the caller's marks and notes
/// where each match is.
fn mark(raw: &str, (open, close): (&str, &str)) -> (String, Vec<[usize; 2]>) {
    let mut snippet = String::with_capacity(raw.len() + 8);
    let mut matches = Vec::new();
    let mut start = None;
    for c in raw.chars() {
        match c {
            MATCH_OPEN if start.is_none() => {
                snippet.push_str(open);
                start = Some(snippet.len());
            }
            MATCH_CLOSE => {
                if let Some(begin) = start.take() {
                    matches.push([begin, snippet.len()]);
                    snippet.push_str(close);
                }
            }
            MATCH_OPEN => {}
            other => snippet.push(other),
        }
    }
    if let Some(begin) = start {
        matches.push([begin, snippet.len()]);
        snippet.push_str(close);
    }
    (snippet, matches)
}

fn hit(row: SearchRow, marks: (&str, &str)) -> SearchHit {
    let (snippet, matches) = mark(&row.snippet, marks);
    SearchHit {
        message: row.message,
        other: row.other,
        snippet,
        matches,
    }
}

// ---------------------------------------------------------------------------
// Operations

impl Session {
    /// Searches the messages of this user's threads (or one of them).
    ///
    /// ```
    /// use chatcore::{Config, NewUser, SearchQuery, Store};
    /// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
    /// let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
    /// let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
    /// let session = store.login("ann@example.com", "correct horse")?;
    /// let (thread, _) = session.create_thread(&[ann.id, bob.id])?;
    /// session.send(thread.id, "Lunch at the Café tomorrow?")?;
    /// let page = session.search(&SearchQuery { text: "cafe lun", ..Default::default() })?;
    /// assert_eq!(page.items[0].snippet, "[Lunch] at the [Café] tomorrow?");
    /// assert_eq!(page.items[0].other.username, "bob");
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a query that has nothing to find (see
    /// [`query`]), a bad limit or cursor; [`Error::ThreadNotFound`],
    /// [`Error::NotParticipant`] for a thread given; [`Error::Busy`] if
    /// messages wait to be indexed and another write holds the store past
    /// the busy timeout; or a session error.
    pub fn search(&self, query: &SearchQuery<'_>) -> Result<SearchPage> {
        let limit = page::limit(query.limit)?;
        let parsed = query::parse(query.text)?;
        let after = query.cursor.map(|c| decode(query.order, c)).transpose()?;
        // Messages the backend has not indexed yet (batched upkeep) are
        // indexed first, in a write of their own, then the search reads
        // again: it sees every message committed before it.
        let mut indexed_pending = false;
        loop {
            let page = self.read(|tx, caller| {
                if !indexed_pending && tx.search_pending()? {
                    return Ok(None);
                }
                self.search_page(tx, caller.user_id, query, &parsed, limit, after)
                    .map(Some)
            })?;
            match page {
                Some(page) => return Ok(page),
                None => {
                    // Indexing takes the write lock, waiting for a running
                    // write as a send would, and failing as a send would
                    // (`Busy` past the busy timeout): never an answer that
                    // silently leaves out a committed message. A read-only
                    // file cannot be written: it answers from what is
                    // indexed (at most the last batch of a writer that has
                    // not closed or crashed is not; documented).
                    if !self.store.is_read_only() {
                        self.store.write(|tx| tx.index_pending())?;
                    }
                    indexed_pending = true;
                }
            }
        }
    }

    /// One page of [`Session::search`], in the caller's read transaction.
    fn search_page(
        &self,
        tx: &mut dyn crate::storage::Tx,
        user: crate::ids::UserId,
        query: &SearchQuery<'_>,
        parsed: &ParsedQuery,
        limit: u32,
        after: Option<SearchKey>,
    ) -> Result<SearchPage> {
        {
            if let Some(thread) = query.thread {
                require_participant(&existing(tx, thread)?, user)?;
            }
            let mut rows = tx.search(&SearchPlan {
                user,
                query: parsed,
                thread: query.thread,
                order: query.order,
                after,
                limit: limit + 1,
            })?;
            let next_cursor = match rows.len() > limit as usize {
                true => {
                    rows.truncate(limit as usize);
                    rows.last().map(|row| {
                        let key = SearchKey {
                            rank: row.rank,
                            id: row.message.id,
                        };
                        encode(query.order, key)
                    })
                }
                false => None,
            };
            Ok(SearchPage {
                items: rows.into_iter().map(|row| hit(row, query.marks)).collect(),
                next_cursor,
            })
        }
    }
}

impl Store {
    /// Rebuilds the search index from the messages, in one write
    /// transaction (for repair; the index normally follows every change by
    /// itself). Returns how many messages are indexed.
    ///
    /// # Errors
    /// A storage error, or [`Error::Busy`].
    pub fn rebuild_search_index(&self) -> Result<u64> {
        self.write(|tx| tx.rebuild_search_index())
    }

    /// Whether opening the file at `path` will first build the search index
    /// (a store from before search: the upgrade indexes every message once,
    /// which takes a while on a large store; a host may say so first).
    /// Reads only; `false` for a missing file or one that cannot be read.
    pub fn will_build_search_index(path: impl AsRef<std::path::Path>) -> bool {
        crate::sqlite::search::file_needs_index(path.as_ref())
    }

    /// Checks the search index against the messages: `Ok(None)` when it
    /// agrees, `Ok(Some(what))` when it does not (repair with
    /// [`Store::rebuild_search_index`]).
    ///
    /// # Errors
    /// A storage error.
    pub fn verify_search_index(&self) -> Result<Option<String>> {
        // With messages waiting to be indexed (batched upkeep), they are
        // indexed and the index checked in one write transaction, so no
        // send can slip in between; otherwise a read is enough.
        let checked = self.read(|tx| match tx.search_pending()? {
            true => Ok(None),
            false => tx.check_search_index().map(Some),
        })?;
        match checked {
            Some(found) => Ok(found),
            None if self.is_read_only() => self.read(|tx| tx.check_search_index()),
            None => self.write(|tx| {
                tx.index_pending()?;
                tx.check_search_index()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let key = SearchKey {
            rank: -1.25e-6,
            id: MessageId(42),
        };
        for order in [SearchOrder::Relevance, SearchOrder::Recent] {
            let back = decode(order, &encode(order, key)).unwrap();
            assert_eq!(back.id, key.id);
        }
        assert_eq!(
            decode(SearchOrder::Relevance, &encode(SearchOrder::Relevance, key)).unwrap(),
            key
        );
        for bad in [
            "",
            "r",
            "rzz:1",
            "r0:-1",
            "n-4",
            "n",
            "x1",
            "r7ff8000000000000:1",
        ] {
            assert!(
                decode(SearchOrder::Relevance, bad).is_err()
                    || decode(SearchOrder::Recent, bad).is_err()
            );
        }
        assert!(decode(SearchOrder::Recent, "r0:1").is_err());
    }

    #[test]
    fn marks_are_placed_and_ranges_point_at_the_match() {
        let (text, ranges) = mark("a \u{1}Café\u{2} b \u{1}x", ("<<", ">"));
        assert_eq!(text, "a <<Café> b <<x>");
        assert_eq!(&text[ranges[0][0]..ranges[0][1]], "Café");
        assert_eq!(&text[ranges[1][0]..ranges[1][1]], "x");
    }
}
