//! The statements of `fused`'s writes that several calls share, and the
//! helpers that fill and read them: a read's counters and feed entries
//! ([`COUNTS`], [`READ_AND_COUNTS`]), feed entries alone ([`APPEND`]).

use super::to_millis;
use crate::error::{Error, Result};
use crate::storage::{NewChange, SendWrite};
use postgres::Row;
use std::sync::LazyLock;

/// A read's counters and feed entries in one statement: the member's
/// counter, then the users' rows (feed `changes_seq` and the total) in one
/// `UPDATE`, then the entries (one per feed user, in user id order).
pub(super) static COUNTS: LazyLock<String> = LazyLock::new(|| counts(false));

/// [`COUNTS`], each part gated on setting the read time of the message
/// `$12` to `$13` (as `set_message_read`: if it had none and is not
/// withdrawn). No row when it was read already, and then nothing changed.
pub(super) static READ_AND_COUNTS: LazyLock<String> = LazyLock::new(|| counts(true));

/// The statement of [`COUNTS`], or of [`READ_AND_COUNTS`] if `read`.
fn counts(read: bool) -> String {
    let (gate, from, select) = match read {
        true => (
            "r AS (UPDATE messages SET read_at = $13
                   WHERE id = $12 AND read_at IS NULL AND deleted_at IS NULL RETURNING id),",
            "FROM r",
            "r.id, ch.user_id, ch.seq FROM r LEFT JOIN ch ON true",
        ),
        false => ("", "", "user_id, seq FROM ch"),
    };
    format!(
        "WITH {gate}
         mb AS (UPDATE members SET unread = unread + $3
                {from} WHERE user_id = $1 AND thread_id = $2),
         u AS (UPDATE users
               SET changes_seq = changes_seq + (users.id = ANY($4))::int,
                   unread_total = unread_total + CASE WHEN users.id = $5 THEN $6::bigint ELSE 0 END
               {from} WHERE users.id = ANY($4) OR users.id = $5
               RETURNING users.id, users.changes_seq, users.id = ANY($4) AS feeds),
         ch AS (INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
                SELECT u.id, u.changes_seq, $7, $8, $9, $10, $11
                FROM u WHERE u.feeds ORDER BY u.id
                RETURNING user_id, seq)
         SELECT {select}"
    )
}

/// A send in one statement of data-modifying CTEs, each gated on the
/// message insert (`FROM ins`): a client key in use writes nothing. The
/// users' and the feed's part is the one of [`COUNTS`].
pub(super) static SEND: LazyLock<String> = LazyLock::new(|| send(false));

/// [`SEND`] gated on its `SendGuard` (`$22`, `$23`: the participants;
/// `$24`: the session's token hash): the thread row is locked `FOR
/// UPDATE` (as a write's context read locks it) and must still have those
/// participants and an activity at or before `$10`, and the sender's
/// session row must still exist. No row when it does not hold, and then
/// nothing changed.
pub(super) static GUARDED_SEND: LazyLock<String> = LazyLock::new(|| send(true));

/// The statement of [`SEND`], or of [`GUARDED_SEND`] if `guarded`.
fn send(guarded: bool) -> String {
    let (guard, from) = match guarded {
        true => (
            "g AS (SELECT 1 FROM threads
                   WHERE id = $1 AND user_low = $22 AND user_high = $23 AND last_activity_at <= $10
                     AND EXISTS (SELECT 1 FROM sessions WHERE token_hash = $24 AND user_id = $2)
                   FOR UPDATE),",
            "FROM g",
        ),
        false => ("", ""),
    };
    format!(
        "WITH {guard}
         ins AS (INSERT INTO messages (thread_id, sender_id, text, created_at, read_at, client_key,
                                       search_words, search_folded, search_trigrams)
                 SELECT $1::bigint, $2::bigint, $3::text, $4::bigint, $5::bigint, $6::text,
                        $7::text::tsvector, $8::text, $9::text[]
                 {from}
                 ON CONFLICT DO NOTHING RETURNING id),
         th AS (UPDATE threads SET last_activity_at = $10, last_message_id = ins.id
                FROM ins WHERE threads.id = $1),
         m1 AS (UPDATE members SET last_activity_at = $10, unread = unread + $12
                FROM ins WHERE user_id = $11 AND thread_id = $1),
         m2 AS (UPDATE members SET last_activity_at = $10, unread = unread + $14
                FROM ins WHERE user_id = $13 AND thread_id = $1),
         u AS (UPDATE users
               SET changes_seq = changes_seq + (users.id = ANY($15))::int,
                   unread_total = unread_total + CASE WHEN users.id = $16 THEN $17::bigint ELSE 0 END
               FROM ins WHERE users.id = ANY($15) OR users.id = $16
               RETURNING users.id, users.changes_seq, users.id = ANY($15) AS feeds),
         ch AS (INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
                SELECT u.id, u.changes_seq, $18, $19, $20, ins.id, $21
                FROM u, ins WHERE u.feeds ORDER BY u.id
                RETURNING user_id, seq)
         SELECT ins.id, ch.user_id, ch.seq FROM ins LEFT JOIN ch ON true"
    )
}

/// A new pair's thread decided from a read outside the transaction
/// (`FusedStorage::apply_guarded_new_thread`), in one statement: only if
/// the session `$1` still exists for the caller `$2`, both users `$3` <
/// `$4` still exist and the pair has no thread (`ON CONFLICT DO NOTHING`
/// on its unique pair), the thread created and active at `$5`, both member
/// rows (as `insert_thread` writes them), and the feed entries of [`APPEND`]
/// to the users `$6` with the fields `$7`… naming the new thread. No row
/// when the guard does not hold, and then nothing changed.
pub(super) const GUARDED_NEW_THREAD: &str = "WITH g AS (SELECT 1 FROM sessions
                   WHERE token_hash = $1 AND user_id = $2
                     AND EXISTS (SELECT 1 FROM users WHERE id = $3)
                     AND EXISTS (SELECT 1 FROM users WHERE id = $4)),
     t AS (INSERT INTO threads (user_low, user_high, created_at, last_activity_at)
           SELECT $3, $4, $5, $5 FROM g ON CONFLICT DO NOTHING RETURNING id),
     m AS (INSERT INTO members (user_id, thread_id, other_id, last_activity_at)
           SELECT $3, t.id, $4, $5 FROM t UNION ALL SELECT $4, t.id, $3, $5 FROM t),
     u AS (UPDATE users SET changes_seq = changes_seq + 1 FROM t
           WHERE users.id = ANY($6)
           RETURNING users.id, users.changes_seq),
     ch AS (INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
            SELECT u.id, u.changes_seq, $7, $8, t.id, $9, $10
            FROM u, t ORDER BY u.id
            RETURNING user_id, seq)
     SELECT t.id, ch.user_id, ch.seq FROM t LEFT JOIN ch ON true";

/// Feed entries that differ only in their user, in one statement: the
/// users' `changes_seq` in one `UPDATE` (locked in id order, as in
/// [`COUNTS`]), then one entry each.
pub(super) const APPEND: &str = "WITH u AS (UPDATE users SET changes_seq = changes_seq + 1
                   WHERE users.id = ANY($1)
                   RETURNING users.id, users.changes_seq),
     ch AS (INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
            SELECT u.id, u.changes_seq, $2, $3, $4, $5, $6
            FROM u ORDER BY u.id
            RETURNING user_id, seq)
     SELECT user_id, seq FROM ch";

/// What every entry of a shared-entry statement ([`APPEND`], [`COUNTS`])
/// gets, as its parameters: kind, time (ms), thread, message and other
/// user ids.
pub(super) fn entry_fields(entry: &NewChange) -> [Option<i64>; 5] {
    [
        Some(entry.kind),
        Some(to_millis(entry.at)),
        entry.thread_id.map(|id| id.0),
        entry.message_id.map(|id| id.0),
        entry.other_id.map(|id| id.0),
    ]
}

/// The `seq` of each entry of `feed`, in its order, from rows with the
/// entry's user at column `at` and its `seq` after it.
pub(super) fn seqs_in_order(feed: &[NewChange], rows: &[Row], at: usize) -> Result<Vec<i64>> {
    feed.iter()
        .map(|entry| {
            let seq = rows
                .iter()
                .find_map(|row| match row.try_get::<_, Option<i64>>(at) {
                    Ok(Some(user)) if user == entry.user.0 => Some(row.try_get::<_, i64>(at + 1)),
                    _ => None,
                });
            match seq {
                Some(seq) => Ok(seq?),
                None => Err(Error::storage(format!(
                    "no user {} to append a change for",
                    entry.user
                ))),
            }
        })
        .collect()
}

/// The fields every feed entry of `send` shares, when one statement can
/// write them all: the entries differ only in their user, no user twice,
/// and the two members are two users. `None`: the send is written call by
/// call instead.
pub(super) fn one_kind(send: &SendWrite<'_>) -> Option<NewChange> {
    let shared = shared_entry(send.feed)?;
    (send.members[0].0 != send.members[1].0).then_some(shared)
}

/// The first of `feed`'s entries when they all differ only in their user,
/// each user once (what [`COUNTS`] and the send's statement write).
pub(super) fn shared_entry(feed: &[NewChange]) -> Option<NewChange> {
    let shared = *feed.first()?;
    let same = feed.iter().all(|entry| {
        (
            entry.kind,
            entry.at,
            entry.thread_id,
            entry.message_id,
            entry.other_id,
        ) == (
            shared.kind,
            shared.at,
            shared.thread_id,
            shared.message_id,
            shared.other_id,
        )
    });
    let mut users: Vec<i64> = feed.iter().map(|entry| entry.user.0).collect();
    users.sort_unstable();
    users.dedup();
    (same && users.len() == feed.len()).then_some(shared)
}
