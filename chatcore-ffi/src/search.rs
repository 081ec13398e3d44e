//! Full-text search (`chat_search`). The rules (what a query means, whose
//! messages are searched, the order and the cursor) are the core's
//! (`chatcore::Session::search`); this is a thin translation.

use crate::boundary::{
    arg_opt_str, arg_out, arg_ref, arg_str, c_string, call, free_box, free_c_string,
    free_raw_items, guard, into_raw, into_raw_items,
};
use crate::{chat_message, chat_session, chat_status, chat_user};
use chatcore::{Error, SearchHit, SearchOrder, SearchPage, SearchQuery, ThreadId};
use std::ffi::c_char;
use std::ptr;

/// `order` of `chat_search`: most relevant first (bm25), newer first among equals.
pub const CHAT_SEARCH_RELEVANCE: u32 = 0;
/// `order` of `chat_search`: newest first.
pub const CHAT_SEARCH_RECENT: u32 = 1;

/// Where one match is in a hit's `snippet`: bytes `[start, end)` of the UTF-8 text.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct chat_search_match {
    /// The first byte of the match.
    pub start: usize,
    /// One past the last byte of the match.
    pub end: usize,
}

/// One message found by `chat_search`.
#[repr(C)]
#[derive(Debug)]
pub struct chat_search_hit {
    /// The message (its thread is `message->thread_id`); never NULL.
    /// Borrowed from the hit: freed with the list.
    pub message: *const chat_message,
    /// The other participant of the thread; never NULL. Borrowed, freed
    /// with the list.
    pub other: *const chat_user,
    /// An excerpt of the text around the matches (UTF-8, `…` where cut),
    /// without marks: `matches` says where they are. Borrowed.
    pub snippet: *const c_char,
    /// The matches in `snippet`, `matches[0..matches_len]` (NULL when 0).
    /// Borrowed.
    pub matches: *const chat_search_match,
    /// How many matches.
    pub matches_len: usize,
}

impl chat_search_hit {
    fn from_core(hit: &SearchHit) -> chat_search_hit {
        let (matches, matches_len) = into_raw_items(
            hit.matches
                .iter()
                .map(|&[start, end]| chat_search_match { start, end })
                .collect(),
        );
        chat_search_hit {
            message: into_raw(chat_message::from_core(&hit.message)).cast_const(),
            other: into_raw(chat_user::from_core(&hit.other)).cast_const(),
            snippet: c_string(&hit.snippet),
            matches,
            matches_len,
        }
    }
}

impl Drop for chat_search_hit {
    fn drop(&mut self) {
        free_box(self.message.cast_mut());
        free_box(self.other.cast_mut());
        free_c_string(self.snippet);
        free_raw_items(self.matches, self.matches_len);
    }
}

/// A page of search hits in the order asked: `items[0..len]` (`items` is
/// NULL when `len` is 0). `has_more` is false on the last page; else pass
/// `next_cursor` to `chat_search` (same query, thread and order) for the next.
#[repr(C)]
#[derive(Debug)]
pub struct chat_search_hit_list {
    /// The hits. Borrowed from the list: freed with it.
    pub items: *const chat_search_hit,
    /// How many.
    pub len: usize,
    /// Whether more hits follow this page (then `next_cursor` is set).
    pub has_more: bool,
    /// The cursor of the next page, or NULL on the last page. Borrowed.
    pub next_cursor: *const c_char,
}

impl chat_search_hit_list {
    fn from_core(page: &SearchPage) -> chat_search_hit_list {
        let (items, len) =
            into_raw_items(page.items.iter().map(chat_search_hit::from_core).collect());
        chat_search_hit_list {
            items,
            len,
            has_more: page.next_cursor.is_some(),
            next_cursor: page.next_cursor.as_deref().map_or(ptr::null(), c_string),
        }
    }
}

impl Drop for chat_search_hit_list {
    fn drop(&mut self) {
        free_raw_items(self.items, self.len);
        free_c_string(self.next_cursor);
    }
}

/// Searches the messages of the session user's threads for `query` (UTF-8,
/// what a person typed: words match as prefixes, case and accents folded;
/// "quoted words" are a phrase; a leading `-` excludes a word; Chinese,
/// Japanese or Thai text is found by any 3 or more characters of it).
/// `thread_id` 0 searches every thread, else only that one; `limit` 1 to
/// `CHAT_MAX_PAGE_LIMIT`; `cursor` NULL for the first page, else a
/// `next_cursor` exactly as returned; `order` `CHAT_SEARCH_RELEVANCE` or
/// `CHAT_SEARCH_RECENT`. The caller owns `*out_hits` and frees it with
/// `chat_search_hit_list_free`. Thread-safe.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (a query with nothing to find, with a
/// message for people in `chat_last_error`; a bad limit, cursor or order),
/// CHAT_ERR_THREAD_NOT_FOUND, CHAT_ERR_NOT_PARTICIPANT,
/// CHAT_ERR_SESSION_INVALID, CHAT_ERR_SESSION_EXPIRED, CHAT_ERR_BUSY (the
/// search first indexes what is pending, a write, and another write held
/// the lock past the busy timeout), CHAT_ERR_STORAGE.
#[unsafe(no_mangle)]
pub extern "C" fn chat_search(
    session: *mut chat_session,
    query: *const c_char,
    thread_id: i64,
    limit: u32,
    cursor: *const c_char,
    order: u32,
    out_hits: *mut *mut chat_search_hit_list,
) -> chat_status {
    call(|| {
        let session = arg_ref(session, "session")?;
        let text = arg_str(query, "query")?;
        let cursor = arg_opt_str(cursor, "cursor")?;
        let order = match order {
            CHAT_SEARCH_RELEVANCE => SearchOrder::Relevance,
            CHAT_SEARCH_RECENT => SearchOrder::Recent,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "order {other} is unknown; use CHAT_SEARCH_RELEVANCE (0) or CHAT_SEARCH_RECENT (1)"
                )));
            }
        };
        let thread = match thread_id {
            0 => None,
            id => Some(ThreadId(id)),
        };
        let out = arg_out(out_hits, "out_hits")?;
        let page = session.session.search(&SearchQuery {
            text,
            thread,
            limit: Some(limit),
            cursor,
            order,
            marks: ("", ""),
        })?;
        out.write(into_raw(chat_search_hit_list::from_core(&page)));
        Ok(())
    })
}

/// Frees a page from `chat_search`, with every hit, message, user, snippet
/// and match in it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn chat_search_hit_list_free(hits: *mut chat_search_hit_list) {
    guard((), || free_box(hits))
}
