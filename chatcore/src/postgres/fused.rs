//! [`FusedStorage`] on PostgreSQL: each fused call is one statement, one
//! round trip (see `storage/fused.rs` for what may and may not be fused).
//!
//! The reads join what an operation decides from onto one row:
//! `(SELECT) AS one LEFT JOIN` each part, so that a missing session,
//! thread or member row comes back as `NULL` columns and the rules in Rust
//! decide what that means. A history or inbox page comes back as one row
//! per item with the context columns repeated (one row of `NULL` item
//! columns when the page is empty).
//!
//! In a write transaction the thread is read `FOR UPDATE`, as
//! [`ThreadStorage::thread`](crate::storage::ThreadStorage::thread) reads
//! it, and the caller's member row after it, also `FOR UPDATE`: a row
//! locked by a statement in `READ COMMITTED` is returned as last committed,
//! so the marks are as fresh as a read after the lock.
//!
//! The send is one statement of data-modifying CTEs, each gated on the
//! message insert (`FROM ins`): a client key in use writes nothing. The
//! users' rows (the feed's `changes_seq`, the recipient's total) change in
//! one `UPDATE` (one statement may not update a row twice), locked in id
//! order before the feed entries draw their ids, as `feed` requires. A
//! send decided from a session's remembered rows (`GUARDED_SEND`) first
//! locks the thread row `FOR UPDATE`, as the context read would, and
//! inserts only if the rows still hold; then `BEGIN`, the send and
//! `COMMIT` are one round trip.

use super::accounts::SESSION_COLUMNS;
use super::fused_sql::{
    APPEND, COUNTS, GUARDED_NEW_THREAD, GUARDED_SEND, READ_AND_COUNTS, SEND, entry_fields,
    one_kind, seqs_in_order, shared_entry,
};
use super::rows::{MESSAGE_COLUMNS, THREAD_COLUMNS, message_at, thread_at};
use super::search_text::{self, Indexed};
use super::{PgTx, conflict, to_millis};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Thread;
use crate::storage::{
    CountsWrite, FusedStorage, InboxKey, InboxRow, MemberMarks, MessageContext, MessageStorage,
    NewChange, NewThread, PairContext, PairGuard, SendGuard, SendWrite, SessionRow, ThreadContext,
};
use postgres::Row;

/// Session columns, then thread columns with the newest message id, then
/// the member marks: the first [`CONTEXT_WIDTH`] columns of a context row.
const CONTEXT_COLUMNS: &str = "s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at,
     t.id, t.user_low, t.user_high, t.created_at, t.last_activity_at, t.last_message_id,
     mb.last_read_id, mb.cleared_through_id";

/// How many columns [`CONTEXT_COLUMNS`] has.
const CONTEXT_WIDTH: usize = 13;

/// [`CONTEXT_COLUMNS`] as typed `NULL`s: the context part of a page's row.
const NO_CONTEXT: &str = "NULL::uuid, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
     NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
     NULL::bigint, NULL::bigint";

/// `MESSAGE_COLUMNS` as typed `NULL`s: the message part of the context's row.
const NO_MESSAGE: &str = "NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::bigint,
     NULL::bigint, NULL::bigint, NULL::bigint";

/// The CTEs `s` (the session) and `mb` (the session user's member row of
/// the thread `t`, locked after it by `lock`).
fn session_and_marks(lock: &str) -> String {
    format!(
        "s AS (SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1),
         mb AS (SELECT last_read_id, cleared_through_id FROM members
                WHERE thread_id = (SELECT id FROM t) AND user_id = (SELECT user_id FROM s){lock})"
    )
}

/// The thread columns of `threads` with its newest message id.
fn thread_select(lock: &str, condition: &str) -> String {
    format!("SELECT {THREAD_COLUMNS}, last_message_id FROM threads WHERE {condition}{lock}")
}

/// The session of a context row (`None` for `NULL` columns).
fn session_at(row: &Row, at: usize) -> Result<Option<SessionRow>> {
    match row.try_get::<_, Option<uuid::Uuid>>(at)? {
        None => Ok(None),
        Some(_) => Ok(Some(super::accounts::session_from_row_at(row, at)?)),
    }
}

/// The thread of a context row.
fn context_thread(row: &Row) -> Result<Option<Thread>> {
    match row.try_get::<_, Option<i64>>(5)? {
        None => Ok(None),
        Some(_) => Ok(Some(thread_at(row, 5)?)),
    }
}

/// The member marks of a context row (`None`: no member row).
fn context_marks(row: &Row) -> Result<Option<MemberMarks>> {
    let Some(read_mark) = row.try_get::<_, Option<i64>>(11)? else {
        return Ok(None);
    };
    Ok(Some(MemberMarks {
        last_message: row.try_get::<_, Option<i64>>(10)?.map(MessageId),
        read_mark: MessageId(read_mark),
        clear_mark: row.try_get::<_, Option<i64>>(12)?.map(MessageId),
    }))
}

impl PgTx<'_> {
    /// The rows of a write that appends feed entries; with the `COMMIT`
    /// (and the notification) in the same round trip if it is the call's
    /// `last` ([`PgTx::query_and_commit`]).
    fn write_rows(
        &mut self,
        last: bool,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        match last {
            true => self.query_and_commit(sql, params, true),
            false => {
                let rows = self.query(sql, params)?;
                self.notify = true;
                Ok(rows)
            }
        }
    }

    /// The rows of [`SEND`], or of [`GUARDED_SEND`] with `guard`, for
    /// `send`, whose feed entries all share `shared`'s fields.
    fn send_rows(
        &mut self,
        send: &SendWrite<'_>,
        shared: &NewChange,
        guard: Option<&SendGuard<'_>>,
    ) -> Result<Vec<Row>> {
        let Indexed {
            words,
            folded,
            trigrams,
        } = search_text::index(send.message.text);
        let message = &send.message;
        let feed_users: Vec<i64> = send.feed.iter().map(|entry| entry.user.0).collect();
        let (created_at, read_at) = (
            to_millis(message.created_at),
            message.read_at.map(to_millis),
        );
        let (activity, at) = (to_millis(send.activity), to_millis(shared.at));
        let (thread_id, other_id) = (
            shared.thread_id.map(|id| id.0),
            shared.other_id.map(|id| id.0),
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![
            &message.thread_id.0,
            &message.sender_id.0,
            &message.text,
            &created_at,
            &read_at,
            &message.client_key,
            &words,
            &folded,
            &trigrams,
            &activity,
            &send.members[0].0.0,
            &send.members[0].1,
            &send.members[1].0.0,
            &send.members[1].1,
            &feed_users,
            &send.total.0.0,
            &send.total.1,
            &shared.kind,
            &at,
            &thread_id,
            &other_id,
        ];
        let token_hash = guard.map(|guard| &guard.token_hash[..]);
        let sql: &str = match guard {
            None => &SEND,
            Some(guard) => {
                let [low, high] = &guard.participants;
                let more: [&(dyn postgres::types::ToSql + Sync); 3] =
                    [&low.0, &high.0, &token_hash];
                params.extend(more);
                &GUARDED_SEND
            }
        };
        self.write_rows(send.last, sql, &params)
    }

    /// The rows of [`COUNTS`] or (with `read`: the message id and the read
    /// time in ms) [`READ_AND_COUNTS`] for `write`, whose feed entries all
    /// share `shared`'s fields.
    fn counts_rows(
        &mut self,
        sql: &str,
        write: &CountsWrite<'_>,
        shared: &NewChange,
        read: Option<(i64, i64)>,
    ) -> Result<Vec<Row>> {
        let (user, thread, delta) = write.member;
        let feed_users: Vec<i64> = write.feed.iter().map(|entry| entry.user.0).collect();
        let [kind, at, thread_id, message, other] = entry_fields(shared);
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![
            &user.0,
            &thread.0,
            &delta,
            &feed_users,
            &write.total.0.0,
            &write.total.1,
            &kind,
            &at,
            &thread_id,
            &message,
            &other,
        ];
        if let Some((id, read_at)) = &read {
            params.extend([id as &(dyn postgres::types::ToSql + Sync), read_at]);
        }
        self.write_rows(write.last, sql, &params)
    }
}

/// A page's messages newest first. The statement leaves the order of its
/// rows to the client: the server would sort them again after the context
/// join (the page's own `ORDER BY … LIMIT` picks which messages).
fn newest_first(mut page: Vec<crate::models::Message>) -> Vec<crate::models::Message> {
    page.sort_unstable_by_key(|message| std::cmp::Reverse(message.id));
    page
}

/// A row that every fused read returns at least one of.
fn first(rows: &[Row]) -> Result<&Row> {
    rows.first()
        .ok_or_else(|| Error::storage("a fused read returned no row"))
}

impl FusedStorage for PgTx<'_> {
    fn thread_context(
        &mut self,
        token_hash: &[u8; 32],
        thread: crate::ids::ThreadId,
        page: Option<(MessageId, u32)>,
    ) -> Result<ThreadContext> {
        let lock = self.lock();
        let ctes = format!(
            "WITH t AS ({}), {}",
            thread_select(lock, "id = $2"),
            session_and_marks(lock)
        );
        let from = "FROM (SELECT) AS one LEFT JOIN s ON true LEFT JOIN t ON true
                    LEFT JOIN mb ON true";
        let token = &token_hash[..];
        let rows = match page {
            None => {
                let sql = format!("{ctes} SELECT {CONTEXT_COLUMNS} {from}");
                self.query(&sql, &[&token, &thread.0])?
            }
            Some((before, limit)) => {
                // The context once, then the page's rows with `NULL`
                // context columns (not the context repeated on each).
                let sql = format!(
                    "{ctes} SELECT {CONTEXT_COLUMNS}, {NO_MESSAGE} {from}
                     UNION ALL
                     SELECT {NO_CONTEXT}, p.* FROM (SELECT {MESSAGE_COLUMNS} FROM messages
                         WHERE thread_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4) p"
                );
                let limit = i64::from(limit);
                self.query(&sql, &[&token, &thread.0, &before.0, &limit])?
            }
        };
        // The page's rows have a message id; the context's row has none.
        let is_message = |row: &&Row| {
            page.is_some() && matches!(row.try_get::<_, Option<i64>>(CONTEXT_WIDTH), Ok(Some(_)))
        };
        let row = rows
            .iter()
            .find(|row| !is_message(row))
            .ok_or_else(|| Error::storage("a fused read returned no context row"))?;
        let page = match page {
            None => None,
            Some(_) => Some(
                rows.iter()
                    .filter(is_message)
                    .map(|row| message_at(row, CONTEXT_WIDTH))
                    .collect::<Result<Vec<_>>>()
                    .map(newest_first)?,
            ),
        };
        Ok(ThreadContext {
            session: session_at(row, 0)?,
            thread: context_thread(row)?,
            marks: context_marks(row)?,
            page,
        })
    }

    fn message_context(&mut self, token_hash: &[u8; 32], id: MessageId) -> Result<MessageContext> {
        let lock = self.lock();
        let sql = format!(
            "WITH msg AS (SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $2),
                  t AS ({}), {}
             SELECT {CONTEXT_COLUMNS}, msg.*
             FROM (SELECT) AS one LEFT JOIN s ON true LEFT JOIN msg ON true
                  LEFT JOIN t ON true LEFT JOIN mb ON true",
            thread_select(lock, "id = (SELECT thread_id FROM msg)"),
            session_and_marks(lock)
        );
        let rows = self.query(&sql, &[&&token_hash[..], &id.0])?;
        let row = first(&rows)?;
        let message = match row.try_get::<_, Option<i64>>(CONTEXT_WIDTH)? {
            None => None,
            Some(_) => Some(message_at(row, CONTEXT_WIDTH)?),
        };
        Ok(MessageContext {
            session: session_at(row, 0)?,
            message,
            thread: Some(context_thread(row)?),
            marks: context_marks(row)?,
        })
    }

    fn pair_context(
        &mut self,
        token_hash: &[u8; 32],
        (low, high): (UserId, UserId),
    ) -> Result<PairContext> {
        let sql = format!(
            "WITH t AS ({}), {}
             SELECT {CONTEXT_COLUMNS},
                    EXISTS (SELECT 1 FROM users WHERE id = $2),
                    EXISTS (SELECT 1 FROM users WHERE id = $3)
             FROM (SELECT) AS one LEFT JOIN s ON true LEFT JOIN t ON true LEFT JOIN mb ON true",
            thread_select(self.lock(), "user_low = $2 AND user_high = $3"),
            session_and_marks("")
        );
        let rows = self.query(&sql, &[&&token_hash[..], &low.0, &high.0])?;
        let row = first(&rows)?;
        Ok(PairContext {
            session: session_at(row, 0)?,
            thread: context_thread(row)?,
            users: Some([row.try_get(CONTEXT_WIDTH)?, row.try_get(CONTEXT_WIDTH + 1)?]),
        })
    }

    fn append_changes(&mut self, entries: &[NewChange], last: bool) -> Result<Vec<i64>> {
        let Some(shared) = shared_entry(entries) else {
            return crate::storage::fused::compose_appends(self, entries);
        };
        let users: Vec<i64> = entries.iter().map(|entry| entry.user.0).collect();
        let [kind, at, thread, message, other] = entry_fields(&shared);
        let params: [&(dyn postgres::types::ToSql + Sync); 6] =
            [&users, &kind, &at, &thread, &message, &other];
        let rows = self.write_rows(last, APPEND, &params)?;
        seqs_in_order(entries, &rows, 0)
    }

    fn inbox_context(
        &mut self,
        token_hash: &[u8; 32],
        key: InboxKey,
        limit: u32,
    ) -> Result<(Option<SessionRow>, Option<Vec<InboxRow>>)> {
        let rows = self.query(
            &super::threads::INBOX_OF_SESSION,
            &[
                &&token_hash[..],
                &key.activity_ms,
                &key.thread_id,
                &i64::from(limit),
            ],
        )?;
        let row = first(&rows)?;
        let width = super::threads::SUMMARY_WIDTH;
        let items = rows
            .iter()
            .filter(|row| matches!(row.try_get::<_, Option<i64>>(0), Ok(Some(_))))
            .map(super::threads::summary_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok((session_at(row, width)?, Some(items)))
    }

    fn apply_send(&mut self, send: &SendWrite<'_>) -> Result<(MessageId, Vec<i64>)> {
        let Some(shared) = one_kind(send) else {
            return crate::storage::fused::compose_send(self, send);
        };
        let rows = self.send_rows(send, &shared, None)?;
        let Some(row) = rows.first() else {
            // A key a concurrent send used is a conflict the caller resolves
            // (`record_keyed_send`): nothing was written.
            return Err(conflict("the message's client key"));
        };
        let id = MessageId(row.try_get(0)?);
        Ok((id, seqs_in_order(send.feed, &rows, 1)?))
    }

    fn apply_guarded_send(
        &mut self,
        guard: &SendGuard<'_>,
        send: &SendWrite<'_>,
    ) -> Result<Option<(MessageId, Vec<i64>)>> {
        let Some(shared) = one_kind(send).filter(|_| send.message.client_key.is_none()) else {
            return crate::storage::fused::check_guard_then_send(self, guard, send);
        };
        let rows = self.send_rows(send, &shared, Some(guard))?;
        // No row: the guard did not hold (a keyless send meets no key
        // conflict), and nothing was written.
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let id = MessageId(row.try_get(0)?);
        Ok(Some((id, seqs_in_order(send.feed, &rows, 1)?)))
    }

    fn apply_guarded_new_thread(
        &mut self,
        guard: &PairGuard<'_>,
        new: &NewThread,
        feed: &[NewChange],
    ) -> Result<Option<(ThreadId, Vec<i64>)>> {
        let Some(shared) = shared_entry(feed).filter(|_| new.id.is_none()) else {
            return crate::storage::fused::check_guard_then_create(self, guard, new, feed);
        };
        let users: Vec<i64> = feed.iter().map(|entry| entry.user.0).collect();
        let [kind, at, _, message, other] = entry_fields(&shared);
        let created = to_millis(new.created_at);
        let params: [&(dyn postgres::types::ToSql + Sync); 10] = [
            &&guard.token_hash[..],
            &guard.user.0,
            &new.low.0,
            &new.high.0,
            &created,
            &users,
            &kind,
            &at,
            &message,
            &other,
        ];
        let rows = self.write_rows(true, GUARDED_NEW_THREAD, &params)?;
        // No row: the guard did not hold, and nothing was written.
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let id = ThreadId(row.try_get(0)?);
        Ok(Some((id, seqs_in_order(feed, &rows, 1)?)))
    }

    fn apply_counts(&mut self, write: &CountsWrite<'_>) -> Result<Vec<i64>> {
        let Some(shared) = shared_entry(write.feed) else {
            return crate::storage::fused::compose_counts(self, write);
        };
        let rows = self.counts_rows(&COUNTS, write, &shared, None)?;
        seqs_in_order(write.feed, &rows, 0)
    }

    fn apply_read(
        &mut self,
        id: MessageId,
        at: chrono::DateTime<chrono::Utc>,
        write: &CountsWrite<'_>,
    ) -> Result<Option<Vec<i64>>> {
        let Some(shared) = shared_entry(write.feed) else {
            if !self.set_message_read(id, at)? {
                return Ok(None);
            }
            return self.apply_counts(write).map(Some);
        };
        let read = Some((id.0, to_millis(at)));
        let rows = self.counts_rows(&READ_AND_COUNTS, write, &shared, read)?;
        if rows.is_empty() {
            // Read already (by a call that committed while this one waited
            // for the thread's lock): nothing was written.
            return Ok(None);
        }
        seqs_in_order(write.feed, &rows, 1).map(Some)
    }

    fn mark_backlog_read(
        &mut self,
        thread: crate::ids::ThreadId,
        (sender, reader): (UserId, UserId),
        after: MessageId,
        up_to: MessageId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64> {
        let sql = format!(
            "WITH r AS ({} RETURNING 1),
                  mk AS (UPDATE members SET last_read_id = $3 WHERE user_id = $6 AND thread_id = $1)
             SELECT count(*) FROM r",
            super::messages::MARK_RANGE_READ
        );
        let params: [&(dyn postgres::types::ToSql + Sync); 6] = [
            &thread.0,
            &after.0,
            &up_to.0,
            &sender.0,
            &to_millis(now),
            &reader.0,
        ];
        let row = self.query_one(&sql, &params)?;
        Ok(u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0))
    }
}
