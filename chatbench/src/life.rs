//! A message's life (issue 17): edit and withdraw (delete for everyone)
//! against a bare-SQL floor of the same statements on the same file (the
//! change feed's two entries included), in an
//! IMMEDIATE transaction each: read the message, its thread and the
//! caller's clear mark; a withdrawal also reads the recipient's clear mark
//! and takes an unread message off the recipient's counters. Both sides
//! run with `secure_delete` on (chatcore's pragma, so the old text is
//! zeroed). Targets: ≤ 1.5× the floor.

use crate::floor::Floor;
use crate::stats::Plan;
use crate::{Bench, R, check, err, now_ms};
use chatcore::{MessageId, Session, ThreadId};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::cell::Cell;

/// The edit row's name, for the targets table.
pub const EDIT_ROW: &str = "edit own message";
/// The withdrawal row's name, for the targets table.
pub const DELETE_ROW: &str = "delete for everyone (unread message)";

fn e(err: rusqlite::Error) -> String {
    format!("floor: {err}")
}

/// The floor's reads common to both: the message, its thread's pair and
/// the caller's clear mark. Returns (thread, sender, read_at, recipient).
fn read_message(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    caller: i64,
) -> R<(i64, i64, Option<i64>, i64)> {
    let (thread, sender, read_at): (i64, i64, Option<i64>) = tx
        .prepare_cached(
            "SELECT id, thread_id, sender_id, text, created_at, read_at, edited_at, deleted_at
             FROM messages WHERE id = ?1",
        )
        .map_err(e)?
        .query_row([id], |row| Ok((row.get(1)?, row.get(2)?, row.get(5)?)))
        .map_err(e)?;
    let (low, high): (i64, i64) = tx
        .prepare_cached(
            "SELECT id, user_low, user_high, created_at, last_activity_at FROM threads WHERE id = ?1",
        )
        .map_err(e)?
        .query_row([thread], |row| Ok((row.get(1)?, row.get(2)?)))
        .map_err(e)?;
    cleared_through(tx, caller, thread)?;
    let recipient = if caller == low { high } else { low };
    Ok((thread, sender, read_at, recipient))
}

fn cleared_through(tx: &rusqlite::Transaction<'_>, user: i64, thread: i64) -> R<Option<i64>> {
    Ok(tx
        .prepare_cached(
            "SELECT cleared_through_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
        )
        .map_err(e)?
        .query_row(params![user, thread], |row| row.get(0))
        .optional()
        .map_err(e)?
        .flatten())
}

/// The change feed's two entries of an edit or a withdrawal (kind 8 or 9),
/// one per participant, numbered as chatcore numbers them.
fn floor_feed_entries(
    tx: &rusqlite::Transaction<'_>,
    kind: i64,
    thread: i64,
    id: i64,
    (sender, recipient): (i64, i64),
) -> R<()> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
             VALUES (?1, coalesce((SELECT seq FROM changes WHERE user_id = ?1
                                   ORDER BY id DESC LIMIT 1), 0) + 1,
                     ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(e)?;
    for user in [recipient, sender] {
        insert
            .execute(params![user, kind, now_ms(), thread, id, sender])
            .map_err(e)?;
    }
    Ok(())
}

fn floor_edit(floor: &mut Floor, id: i64, caller: i64, text: &str) -> R<()> {
    let tx = floor
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(e)?;
    let (thread, _, _, recipient) = read_message(&tx, id, caller)?;
    tx.prepare_cached("UPDATE messages SET text = ?2, edited_at = ?3 WHERE id = ?1")
        .map_err(e)?
        .execute(params![id, text, now_ms()])
        .map_err(e)?;
    floor_feed_entries(&tx, 8, thread, id, (caller, recipient))?;
    tx.commit().map_err(e)
}

fn floor_delete(floor: &mut Floor, id: i64, caller: i64) -> R<()> {
    let tx = floor
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(e)?;
    let (thread, _, read_at, recipient) = read_message(&tx, id, caller)?;
    let floor_mark = cleared_through(&tx, recipient, thread)?;
    if read_at.is_none() && floor_mark.is_none_or(|mark| id > mark) {
        tx.prepare_cached(
            "UPDATE members SET unread = unread + ?3 WHERE user_id = ?1 AND thread_id = ?2",
        )
        .map_err(e)?
        .execute(params![recipient, thread, -1])
        .map_err(e)?;
        tx.prepare_cached("UPDATE users SET unread_total = unread_total + ?2 WHERE id = ?1")
            .map_err(e)?
            .execute(params![recipient, -1])
            .map_err(e)?;
    }
    tx.prepare_cached("UPDATE messages SET text = '', deleted_at = ?2 WHERE id = ?1")
        .map_err(e)?
        .execute(params![id, now_ms()])
        .map_err(e)?;
    floor_feed_entries(&tx, 9, thread, id, (caller, recipient))?;
    tx.commit().map_err(e)
}

/// Measures [`EDIT_ROW`] and [`DELETE_ROW`] with `session`'s messages in
/// `thread` (sent here first: one to edit per side, and a supply of unread
/// ones to withdraw, shared by both sides in turn).
pub fn rows(
    bench: &mut Bench,
    plan: Plan,
    session: &Session,
    floor: &mut Floor,
    thread: ThreadId,
    texts: &[&str],
    supply: usize,
) -> R<()> {
    floor
        .conn
        .pragma_update(None, "secure_delete", true)
        .map_err(e)?;
    let me = session.user_id().0;
    let core_target = session.send(thread, texts[0]).map_err(err)?.id;
    let floor_target = session.send(thread, texts[1]).map_err(err)?.id.0;
    let (mut n, mut m) = (0usize, 0usize);
    bench.row(
        EDIT_ROW,
        "read message, thread, clear mark; update text + edited_at",
        plan,
        &mut || {
            n += 1;
            let edited = session
                .edit_message(core_target, texts[n % texts.len()])
                .map_err(err)?;
            check(edited.edited_at.is_some(), || "not edited".into())
        },
        Some(&mut || {
            m += 1;
            floor_edit(floor, floor_target, me, texts[m % texts.len()])
        }),
    )?;

    let ids: Vec<MessageId> = (0..supply)
        .map(|k| session.send(thread, texts[k % texts.len()]).map(|m| m.id))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let next = Cell::new(0usize);
    let take = || -> R<MessageId> {
        let k = next.get();
        next.set(k + 1);
        ids.get(k)
            .copied()
            .ok_or_else(|| format!("the supply of {supply} messages to withdraw ran out"))
    };
    bench.row(
        DELETE_ROW,
        "as edit + recipient's clear mark and counters; text overwritten",
        bench.limited(supply as u64, 2),
        &mut || {
            let tomb = session.delete_message(take()?).map_err(err)?;
            check(tomb.deleted_at.is_some(), || "not withdrawn".into())
        },
        Some(&mut || floor_delete(floor, take()?.0, me)),
    )
}
