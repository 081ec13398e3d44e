//! [`SearchStorage`] on PostgreSQL: the index columns of `messages`
//! (`search_words` under GIN, and for text in scripts without spaces
//! `search_folded` with `search_trigrams` under GIN), written by every
//! insert and text change in the same statement (`search_text::index`
//! computes them), so the index follows the data in the same transaction.
//!
//! Ranking: `ts_rank(search_words, query, 1)` (term frequency, divided by
//! 1 + the log of the message's length), negated so that lower is better
//! as the seam says; newer first among equals. SQLite's bm25 also weighs
//! how rare each word is across the store; `ts_rank` does not, so a
//! message with a rare and a common word ranks by how often each occurs in
//! it. A query of substrings alone (no word) ranks every hit equal: newest
//! first.

use super::PgTx;
use super::client::Client;
use super::rows::{message_at, user_at};
use super::search_text::{self, Indexed};
use crate::error::Result;
use crate::search_query::{SearchOrder, TermKind};
use crate::storage::{SearchPlan, SearchRow, SearchStorage};
use postgres::types::ToSql;

/// Messages indexed per statement by a rebuild or a migration.
const BATCH: i64 = 2_000;

/// The separator of the trigram list in a batch (never in a message).
const SEP: &str = "\u{1f}";

/// Writes the index columns of the messages with ids in `(after, ..]`, up
/// to [`BATCH`] of them; the last id written, or `None` when none was left.
fn index_batch(client: &Client, after: i64) -> Result<Option<(i64, u64)>> {
    let rows = client.query(
        "SELECT id, text FROM messages WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after, &BATCH],
    )?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    let last: i64 = last.try_get(0)?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut words = Vec::with_capacity(rows.len());
    let mut folded = Vec::with_capacity(rows.len());
    let mut grams = Vec::with_capacity(rows.len());
    for row in &rows {
        let indexed = search_text::index(row.try_get::<_, &str>(1)?);
        ids.push(row.try_get::<_, i64>(0)?);
        words.push(indexed.words);
        folded.push(indexed.folded);
        grams.push(indexed.trigrams.map(|t| t.join(SEP)));
    }
    client.execute(
        "UPDATE messages m SET search_words = e.w::tsvector, search_folded = e.f,
                search_trigrams = string_to_array(e.t, $5)
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS e(id, w, f, t)
         WHERE m.id = e.id",
        &[&ids, &words, &folded, &grams, &SEP],
    )?;
    Ok(Some((last, rows.len() as u64)))
}

/// Indexes every message (the schema step that adds search, and a rebuild).
pub(crate) fn index_all(client: &Client) -> Result<u64> {
    let (mut after, mut count) = (0, 0);
    while let Some((last, n)) = index_batch(client, after)? {
        after = last;
        count += n;
    }
    Ok(count)
}

/// The parameters of one statement, numbered as pushed.
#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Params {
    /// Adds a value; its placeholder (`$n`).
    fn push(&mut self, value: impl ToSql + Sync + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }
}

/// The statement of one plan. SQL is assembled from fixed fragments; every
/// input is a parameter.
fn statement(plan: &SearchPlan<'_>) -> (String, Params) {
    let mut params = Params::default();
    let terms = &plan.query.terms;
    let words: Vec<String> = terms
        .iter()
        .filter(|t| t.kind != TermKind::Substring)
        .filter_map(search_text::tsquery_term)
        .collect();
    let user = params.push(plan.user.0);
    let mut filters = Vec::new();
    let rank = match words.is_empty() {
        true => "0::float8".to_string(),
        false => {
            let query = params.push(words.join(" & "));
            filters.push(format!("m.search_words @@ {query}::text::tsquery"));
            // Only wanted words make a rank; a query of exclusions ranks 0.
            match terms
                .iter()
                .any(|t| !t.excluded && t.kind != TermKind::Substring)
            {
                true => format!("(-ts_rank(m.search_words, {query}::text::tsquery, 1))::float8"),
                false => "0::float8".to_string(),
            }
        }
    };
    for term in terms.iter().filter(|t| t.kind == TermKind::Substring) {
        let folded = search_text::fold(&term.text);
        let grams = search_text::trigrams(&folded);
        let needle = params.push(folded);
        match term.excluded {
            false => {
                let grams = params.push(grams);
                filters.push(format!(
                    "m.search_trigrams @> {grams}::text[] AND strpos(m.search_folded, {needle}) > 0"
                ));
            }
            true => filters.push(format!(
                "coalesce(strpos(m.search_folded, {needle}), 0) = 0"
            )),
        }
    }
    if let Some(thread) = plan.thread {
        let thread = params.push(thread.0);
        filters.push(format!("m.thread_id = {thread}"));
    }
    if let Some(after) = plan.after {
        let id = params.push(after.id.0);
        filters.push(match plan.order {
            SearchOrder::Relevance => {
                let last = params.push(after.rank);
                format!("({rank} > {last} OR ({rank} = {last} AND m.id < {id}))")
            }
            SearchOrder::Recent => format!("m.id < {id}"),
        });
    }
    let order = match plan.order {
        SearchOrder::Relevance => format!("{rank}, m.id DESC"),
        SearchOrder::Recent => "m.id DESC".to_string(),
    };
    let limit = params.push(i64::from(plan.limit));
    let sql = format!(
        "SELECT m.id, m.thread_id, m.sender_id, m.text, m.created_at, m.read_at,
                m.edited_at, m.deleted_at,
                u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                {rank}
         FROM messages m
         JOIN members mb ON mb.thread_id = m.thread_id AND mb.user_id = {user}
              AND m.id > coalesce(mb.cleared_through_id, 0)
         JOIN users u ON u.id = mb.other_id
         WHERE {}
         ORDER BY {order} LIMIT {limit}",
        filters.join(" AND ")
    );
    (sql, params)
}

impl SearchStorage for PgTx<'_> {
    fn search(&mut self, plan: &SearchPlan<'_>) -> Result<Vec<SearchRow>> {
        let (sql, params) = statement(plan);
        let refs: Vec<&(dyn ToSql + Sync)> = params.values.iter().map(|v| &**v).collect();
        let rows = self.query(&sql, &refs)?;
        rows.iter()
            .map(|row| {
                let message = message_at(row, 0)?;
                Ok(SearchRow {
                    snippet: search_text::snippet(&message.text, &plan.query.terms),
                    other: user_at(row, 8)?,
                    rank: match plan.order {
                        SearchOrder::Relevance => row.try_get(14)?,
                        SearchOrder::Recent => 0.0,
                    },
                    message,
                })
            })
            .collect()
    }

    fn rebuild_search_index(&mut self) -> Result<u64> {
        let result = self.client().and_then(index_all);
        result.map_err(|err| self.noted(err))
    }

    fn check_search_index(&mut self) -> Result<Option<String>> {
        let mut after = 0i64;
        let mut checked = 0u64;
        loop {
            let rows = self.query(
                "SELECT id, text, search_words::text, search_folded,
                        array_to_string(search_trigrams, $3)
                 FROM messages WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &BATCH, &SEP],
            )?;
            let Some(last) = rows.last() else {
                return Ok(None);
            };
            after = last.try_get(0)?;
            let mut ids = Vec::new();
            let mut expected = Vec::new();
            for row in &rows {
                let id: i64 = row.try_get(0)?;
                let Indexed {
                    words,
                    folded,
                    trigrams,
                } = search_text::index(row.try_get::<_, &str>(1)?);
                let stored_folded: Option<String> = row.try_get(3)?;
                let stored_grams: Option<String> = row.try_get(4)?;
                if row.try_get::<_, Option<String>>(2)?.is_none()
                    || stored_folded != folded
                    || stored_grams != trigrams.map(|t| t.join(SEP))
                {
                    return Ok(Some(format!(
                        "the search index does not match message {id} ({checked} messages agree \
                         before it)"
                    )));
                }
                ids.push(id);
                expected.push(words);
            }
            // The server compares the word vectors in its own normal form.
            let differs = self.query_opt(
                "SELECT e.id FROM unnest($1::bigint[], $2::text[]) AS e(id, w)
                 JOIN messages m ON m.id = e.id
                 WHERE m.search_words IS DISTINCT FROM e.w::tsvector ORDER BY e.id LIMIT 1",
                &[&ids, &expected],
            )?;
            if let Some(row) = differs {
                let id: i64 = row.try_get(0)?;
                return Ok(Some(format!(
                    "the search index does not match message {id}"
                )));
            }
            checked += rows.len() as u64;
        }
    }
}
