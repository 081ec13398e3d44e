//! The unread accounting's own check: every counter against the messages
//! ([`Store::verify_unread`], [`Store::repair_unread`], and after an
//! import). The accounting itself is in `messages`.

use crate::error::Result;
use crate::ids::{ThreadId, UserId};
use crate::storage::MessageStorage;
use crate::store::Store;
use serde::Serialize;

/// One counter that disagreed with the messages, found by [`Store::verify_unread`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadMismatch {
    /// Whose counter.
    pub user_id: UserId,
    /// The thread of a per-thread counter; `None` for the user's total.
    pub thread_id: Option<ThreadId>,
    /// What the counter said.
    pub stored: i64,
    /// What the messages say.
    pub actual: i64,
}

/// The result of checking every unread counter against the messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnreadReport {
    /// Per-thread counters checked.
    pub threads_checked: u64,
    /// Per-user totals checked.
    pub users_checked: u64,
    /// Counters that disagreed (repaired, if asked to repair).
    pub mismatches: Vec<UnreadMismatch>,
}

/// Users checked per read transaction by [`Store::verify_unread`].
pub(crate) const UNREAD_CHECK_BATCH: i64 = 200;

/// Checks (and with `repair`, fixes) every counter, in one transaction.
pub(crate) fn check_unread(
    tx: &mut (impl MessageStorage + ?Sized),
    repair: bool,
) -> Result<UnreadReport> {
    let mut report = UnreadReport::default();
    let mut after = Some(UserId(0));
    while let Some(from) = after {
        after = check_unread_batch(tx, from, i64::MAX, repair, &mut report)?;
    }
    Ok(report)
}

/// The unread accounting's own check: a member's counter is the number of
/// the other participant's messages in the thread with no read time, not
/// withdrawn, above the member's clear mark (see
/// [`withdrawn_unread`](crate::messages::withdrawn_unread)), and a
/// user's total is the sum of their members' counters. Checks (and with
/// `repair`, fixes) the counters of up to `limit` users with ids above
/// `after`, each user's per-thread counters and total against the messages
/// (so one batch is consistent on its own), and adds them to `report`.
/// Returns the last user id checked, or `None` when there were none.
pub(crate) fn check_unread_batch(
    tx: &mut (impl MessageStorage + ?Sized),
    after: UserId,
    limit: i64,
    repair: bool,
    report: &mut UnreadReport,
) -> Result<Option<UserId>> {
    let users = tx.unread_totals_after(after, limit)?;
    let found = report.mismatches.len();
    for &(user_id, stored_total) in &users {
        let mut total = 0;
        for member in tx.recount_member_unread(user_id)? {
            report.threads_checked += 1;
            total += member.actual;
            if member.stored != member.actual {
                report.mismatches.push(UnreadMismatch {
                    user_id,
                    thread_id: Some(member.thread_id),
                    stored: member.stored,
                    actual: member.actual,
                });
            }
        }
        report.users_checked += 1;
        if stored_total != total {
            report.mismatches.push(UnreadMismatch {
                user_id,
                thread_id: None,
                stored: stored_total,
                actual: total,
            });
        }
    }
    if repair {
        for mismatch in &report.mismatches[found..] {
            match mismatch.thread_id {
                Some(thread) => tx.set_member_unread(mismatch.user_id, thread, mismatch.actual)?,
                None => tx.set_unread_total(mismatch.user_id, mismatch.actual)?,
            }
        }
    }
    Ok(users.last().map(|&(id, _)| id))
}

impl Store {
    /// Recomputes every unread counter from the messages and reports those
    /// that disagree. Changes nothing; see [`Store::repair_unread`].
    ///
    /// Reads in short transactions of a few hundred users each, so that a
    /// check of a large store never holds one snapshot (and with it the
    /// WAL) for its whole run. Each user's counters are compared with the
    /// messages of the same snapshot, so concurrent sends never show as a
    /// mismatch.
    ///
    /// # Errors
    /// A storage error.
    pub fn verify_unread(&self) -> Result<UnreadReport> {
        let mut report = UnreadReport::default();
        let mut after = Some(UserId(0));
        while let Some(from) = after {
            after = self
                .read(|tx| check_unread_batch(tx, from, UNREAD_CHECK_BATCH, false, &mut report))?;
        }
        Ok(report)
    }

    /// Like [`Store::verify_unread`], and sets every disagreeing counter to
    /// what the messages say, in one transaction.
    ///
    /// # Errors
    /// A storage error, or [`Error::Busy`](crate::Error::Busy).
    pub fn repair_unread(&self) -> Result<UnreadReport> {
        self.write(|tx| check_unread(tx, true))
    }
}
