//! The send rows of `chatbench search`: chatcore's send on the indexed
//! file against sends on a copy of it without the search index.
//!
//! - against the bare send floor (`Floor::send`), the row issue 16 names;
//! - against the same floor with no checkpoint inside its samples: the
//!   bare floor's connection checkpoints inside the commit that passes
//!   1,000 WAL pages, milliseconds that land in some of its 15 ms samples,
//!   while chatcore checkpoints on a thread of its own. Here the floor's
//!   automatic checkpoint is off for the row (its WAL grows by a few MiB,
//!   checkpointed after the row), which makes the floor faster, never
//!   slower: the stricter comparison;
//! - against chatcore's own send on the copy: the index's share alone (the
//!   floors write no change-feed entries, which chatcore's send does).

use crate::floor::Floor;
use crate::search::{PASSWORD, RARE, drop_search};
use crate::stats::Plan;
use crate::{R, bench::Row, err, measure, now_ms};
use chatcore::{Config, Session, Store, ThreadId};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// What the send rows need from the search run.
pub(crate) struct Sending<'a> {
    /// The indexed store, and a session of the sending user in it.
    pub store: &'a Store,
    pub session: &'a Session,
    /// The thread the sends go to.
    pub thread: ThreadId,
    /// Where the copy without the index is made.
    pub copy: &'a Path,
    /// The settings chatcore's stores are opened with.
    pub config: Config,
    pub quick: bool,
}

/// The text of the `n`th send (a rare word and two common ones).
fn text(n: u64) -> String {
    format!("index upkeep {n} {RARE}x meeting kafe")
}

impl Sending<'_> {
    /// The three send rows.
    pub(crate) fn rows(self, plan: Plan) -> R<Vec<Row>> {
        self.store.backup(self.copy).map_err(err)?;
        drop_search(self.copy)?;
        Connection::open(self.copy)
            .and_then(|c| c.pragma_update(None, "journal_mode", "wal"))
            .map_err(|e| e.to_string())?;
        let sender = self.session.user_id();
        let (thread, session) = (self.thread, self.session);
        let (mut n, mut m) = (0u64, 0u64);
        // chatcore indexes sends 64 at a time: each sample spans at least
        // two such batches (about 150 sends), so the median includes
        // their cost.
        let sends = Plan {
            rounds: if self.quick { 3 } else { 8 },
            samples_per_round: 3,
            sample_time: Duration::from_millis(15),
            ..plan
        };
        let mut core = || {
            n += 1;
            session.send(thread, &text(n)).map(|_| ()).map_err(err)
        };
        let mut rows = Vec::new();

        let mut floor = Floor::open(self.copy)?;
        let pragma = |floor: &Floor, pages: i64| {
            floor
                .conn
                .pragma_update(None, "wal_autocheckpoint", pages)
                .map_err(|e| e.to_string())
        };
        let floors = [
            (
                "send with index upkeep",
                "Session::send on the indexed file | bare send floor on a copy without the index",
                1000,
            ),
            (
                "send with index upkeep, floor without checkpoints",
                "Session::send on the indexed file | bare send floor, its automatic checkpoint off",
                0,
            ),
        ];
        for (name, note, pages) in floors {
            pragma(&floor, pages)?;
            rows.push(measure(
                name,
                note,
                sends,
                &mut core,
                Some(&mut || {
                    m += 1;
                    floor
                        .send(thread.0, sender.0, &text(m), now_ms())
                        .map(|_| ())
                }),
                "floor",
            )?);
        }
        pragma(&floor, 1000)?;
        floor
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| e.to_string())?;
        drop(floor);

        let unindexed = Store::open_with(self.copy, self.config).map_err(err)?;
        let plain = unindexed.login("s0@example.com", PASSWORD).map_err(err)?;
        rows.push(measure(
            "send: index upkeep alone",
            "Session::send on the indexed file | Session::send on the copy without the index",
            sends,
            &mut core,
            Some(&mut || {
                m += 1;
                plain.send(thread, &text(m)).map(|_| ()).map_err(err)
            }),
            "no index",
        )?);
        Ok(rows)
    }
}
