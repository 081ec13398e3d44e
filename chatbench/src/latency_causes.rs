//! What happened in each timed send of the latency run, so that its slow
//! sends can be told apart by cause instead of guessed at.
//!
//! After each send the run reads the WAL-index header that SQLite keeps in
//! the store's `-shm` file (layout: <https://sqlite.org/walformat.html>,
//! "The WAL-Index Header"): `mxFrame`, the last valid frame of the WAL, at
//! byte 16, and `nBackfill`, how many of them a checkpoint has copied into
//! the database, at byte 96 (native byte order). Reading it takes no lock
//! and is outside the timed part of the send. A send is then one of:
//!
//! - **started the WAL over**: `mxFrame` went down (its commit wrote the
//!   WAL's header again, and synced it: a disk sync on the send's path);
//! - **indexed the pending messages**: its id is a multiple of 64, the
//!   search queue's batch (`chatcore::sqlite::search_queue::BATCH`): its
//!   commit indexed the 64 messages sent before it (FTS5 segment writes
//!   and their merges);
//! - **copied WAL pages itself**: `nBackfill` went up during it while the
//!   WAL was past the hard bound (8,192 pages), so the checkpoint was the
//!   send's own (`chatcore::sqlite::checkpoint::HARD_BOUND_FRAMES`);
//! - **beside a background checkpoint**: `nBackfill` went up during it
//!   otherwise: the checkpointer thread copied pages meanwhile (it competes
//!   for the CPUs and the disk, not for locks);
//! - **plain**: none of these.
//!
//! A send can be in several; it is counted under the first that applies, in
//! this order.

use crate::stats::human;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The search queue's batch: every send whose id is a multiple indexes.
const INDEX_BATCH: i64 = 64;
/// The WAL size at which the committing send checkpoints itself.
const HARD_BOUND_FRAMES: u32 = 8_192;

/// The WAL-index header's two counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WalIndex {
    /// Last valid frame of the WAL.
    pub max_frame: u32,
    /// Frames copied into the database so far.
    pub backfilled: u32,
}

/// Reads the `-shm` file of a database (opened once, on first use).
pub struct WalIndexReader {
    path: String,
    file: Option<File>,
}

impl WalIndexReader {
    pub fn new(db: &Path) -> WalIndexReader {
        WalIndexReader {
            path: format!("{}-shm", db.display()),
            file: None,
        }
    }

    /// The counters now, or zeros if the file cannot be read.
    pub fn read(&mut self) -> WalIndex {
        if self.file.is_none() {
            self.file = File::open(&self.path).ok();
        }
        let mut header = [0u8; 100];
        match &self.file {
            Some(file) if file.read_exact_at(&mut header, 0).is_ok() => {
                let word = |at: usize| {
                    u32::from_ne_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
                };
                WalIndex {
                    max_frame: word(16),
                    backfilled: word(96),
                }
            }
            _ => WalIndex::default(),
        }
    }
}

/// Why a send may have been slow; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Restart,
    Index,
    OwnCheckpoint,
    BesideCheckpoint,
    Plain,
}

const CAUSES: [(Cause, &str); 5] = [
    (Cause::Restart, "started the WAL over (header sync)"),
    (Cause::Index, "indexed the 64 pending messages"),
    (Cause::OwnCheckpoint, "copied WAL pages itself (past 8,192)"),
    (Cause::BesideCheckpoint, "beside a background checkpoint"),
    (Cause::Plain, "plain"),
];

/// The cause of one send with message `id`, from the counters before and
/// after it.
pub fn classify(id: i64, before: WalIndex, after: WalIndex) -> Cause {
    if after.max_frame < before.max_frame {
        Cause::Restart
    } else if id % INDEX_BATCH == 0 {
        Cause::Index
    } else if after.backfilled > before.backfilled && before.max_frame >= HARD_BOUND_FRAMES {
        Cause::OwnCheckpoint
    } else if after.backfilled > before.backfilled {
        Cause::BesideCheckpoint
    } else {
        Cause::Plain
    }
}

/// Sends grouped by cause: per cause, how many, their median and largest
/// time, and how many took over 1 ms.
pub fn table(sends: &[(Cause, f64)], what: &str) -> String {
    let mut out = format!(
        "\n| sends by what happened in them ({what}) | sends | p50 | max | over 1 ms |\n\
         |---|---|---|---|---|\n"
    );
    for (cause, label) in CAUSES {
        let mut times: Vec<f64> = sends
            .iter()
            .filter(|(c, _)| *c == cause)
            .map(|&(_, t)| t)
            .collect();
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        out.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            times.len(),
            human(times[times.len() / 2]),
            human(times[times.len() - 1]),
            times.iter().filter(|&&t| t > 1e6).count(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(max_frame: u32, backfilled: u32) -> WalIndex {
        WalIndex {
            max_frame,
            backfilled,
        }
    }

    #[test]
    fn each_send_gets_the_first_cause_that_applies() {
        assert_eq!(classify(128, at(900, 0), at(10, 0)), Cause::Restart);
        assert_eq!(classify(128, at(900, 0), at(960, 0)), Cause::Index);
        assert_eq!(
            classify(129, at(8_200, 7_000), at(8_210, 8_210)),
            Cause::OwnCheckpoint
        );
        assert_eq!(
            classify(129, at(2_000, 1_000), at(2_010, 1_500)),
            Cause::BesideCheckpoint
        );
        assert_eq!(
            classify(129, at(2_000, 1_000), at(2_010, 1_000)),
            Cause::Plain
        );
    }

    #[test]
    fn the_table_counts_each_cause_and_its_slow_sends() {
        let sends = [
            (Cause::Plain, 80_000.0),
            (Cause::Plain, 1_500_000.0),
            (Cause::Index, 400_000.0),
        ];
        let table = table(&sends, "wall");
        assert!(table.contains("| plain | 2 |"), "{table}");
        assert!(table.contains("| 1 |\n"), "{table}");
        assert!(
            table.contains("| indexed the 64 pending messages | 1 |"),
            "{table}"
        );
        assert!(!table.contains("started the WAL over"), "{table}");
    }
}
