//! WAL checkpoints off the caller's path, and the bound on the WAL's size.
//!
//! SQLite's automatic checkpoint runs inside the commit that makes the WAL
//! pass 1,000 pages: that send copies the WAL into the database and waits
//! for two `fsync`s, milliseconds where a send otherwise takes tens of
//! microseconds. With [`Checkpoints::Background`] (the default) a thread
//! owned by the [`Store`](crate::Store) does that work instead:
//!
//! - every pooled connection's WAL hook sees the WAL's size after each
//!   commit; past [`WAKE_FRAMES`] it wakes the checkpointer (an atomic flag
//!   and a condvar, nothing more on the caller's path);
//! - the checkpointer runs `PASSIVE` checkpoints on its own connection: they
//!   never wait for, or block, readers and writers;
//! - the WAL can start over from its beginning only when a writer begins
//!   after everything in it was copied. A writer that never pauses never
//!   gives a background checkpoint that moment, so past [`HARD_BOUND_FRAMES`]
//!   the committing caller runs the checkpoint itself (by then only the
//!   little the checkpointer has not copied yet is left), as SQLite would.
//!   It does not wait for a background checkpoint that is running (it tries
//!   again at its next commit), unless the WAL has reached
//!   [`WAIT_BOUND_FRAMES`]: then it waits, so the WAL never grows further;
//! - `journal_size_limit` ([`JOURNAL_SIZE_LIMIT_BYTES`]) truncates the WAL
//!   file back when it starts over, so a WAL that once grew (a reader
//!   holding an old snapshot) does not keep its size on disk;
//! - the thread stops, and is joined, when the store's last handle drops.
//!
//! With [`Checkpoints::Inline`] no thread is started and SQLite checkpoints
//! inside the commit that passes 1,000 pages, as before.
//! [`Store::checkpoint`](crate::Store::checkpoint) runs one now, in either mode.

pub(crate) use crate::config::Checkpoints;
use crate::error::Result;
use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// WAL pages (frames) after a commit that wake the background checkpointer:
/// SQLite's own automatic checkpoint threshold.
pub(crate) const WAKE_FRAMES: i32 = 1_000;

/// WAL pages past which the committing call checkpoints itself (32 MiB of
/// 4 KiB pages): the bound on the WAL while no reader holds an old snapshot.
pub(crate) const HARD_BOUND_FRAMES: i32 = 8_192;

/// WAL pages past which the committing call also waits for a running
/// background checkpoint before its own (64 MiB): the strict bound, reached
/// only when a background checkpoint is slow (a stalled disk).
pub(crate) const WAIT_BOUND_FRAMES: i32 = 2 * HARD_BOUND_FRAMES;

/// `PRAGMA journal_size_limit`: when the WAL starts over, its file is
/// truncated to this size (32 MiB).
pub(crate) const JOURNAL_SIZE_LIMIT_BYTES: i64 = 32 * 1024 * 1024;

/// What the commit hooks and the checkpointer thread share.
#[derive(Default)]
struct Signal {
    /// Set by a commit past [`WAKE_FRAMES`], cleared by the checkpointer.
    wanted: AtomicBool,
    /// `true` once the store is gone.
    stop: Mutex<bool>,
    wake: Condvar,
    /// Held by the checkpointer while it checkpoints, so that a commit past
    /// the hard bound waits for it to finish instead of finding the
    /// checkpoint lock taken and letting the WAL grow on.
    running: Mutex<()>,
}

impl Signal {
    fn lock_running(&self) -> std::sync::MutexGuard<'_, ()> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_stop(&self) -> std::sync::MutexGuard<'_, bool> {
        self.stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks for a checkpoint; only the first ask since the last run locks.
    fn ask(&self) {
        if !self.wanted.swap(true, Ordering::AcqRel) {
            let _stop = self.lock_stop();
            self.wake.notify_one();
        }
    }
}

/// The background checkpointer of one store: stopped and joined on drop.
pub(crate) struct Checkpointer {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread, which checkpoints through `conn`. `None` if the
    /// system refuses a thread: the store then checkpoints inline.
    pub(crate) fn start(conn: Connection) -> Option<Checkpointer> {
        let signal = Arc::new(Signal::default());
        let shared = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("chatcore-checkpoint".into())
            .spawn(move || run(&conn, &shared))
            .ok()?;
        Some(Checkpointer {
            signal,
            thread: Some(thread),
        })
    }

    /// Installs the WAL hook that wakes this checkpointer on `conn`.
    pub(crate) fn watch(&self, conn: &mut Connection) -> Result<()> {
        let signal = Arc::clone(&self.signal);
        conn.wal_hook(Some(move |wal: &mut Wal, frames: i32| {
            after_commit(wal, frames, &signal);
            Ok(())
        }))?;
        Ok(())
    }
}

impl Checkpointer {
    /// Held while a checkpoint runs outside the thread
    /// ([`Store::checkpoint`](crate::Store::checkpoint)), so that it never
    /// finds the thread's checkpoint in its way.
    pub(crate) fn exclusive(&self) -> std::sync::MutexGuard<'_, ()> {
        self.signal.lock_running()
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        *self.signal.lock_stop() = true;
        self.signal.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread only checkpoints; a panic there has nothing to report.
            let _ = thread.join();
        }
    }
}

/// The WAL hook's decision after a commit left `frames` pages in the WAL.
/// Never fails the commit (which has happened): a checkpoint that cannot
/// run now (another checkpointer holds its lock) is simply tried later.
///
/// Past the hard bound the committing caller checkpoints, but it does not
/// wait for a background checkpoint that is running: SQLite answers a
/// PASSIVE checkpoint that meets another one with `SQLITE_BUSY` at once,
/// and the next commit tries again. The caller then copies only what was
/// committed since the background one started, never waits for all of it
/// (unless the WAL reached [`WAIT_BOUND_FRAMES`]).
fn after_commit(wal: &mut Wal, frames: i32, signal: &Signal) {
    if frames >= WAIT_BOUND_FRAMES {
        let _running = signal.lock_running();
        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
    } else if frames >= HARD_BOUND_FRAMES {
        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
    } else if frames >= WAKE_FRAMES {
        signal.ask();
    }
}

/// The checkpointer thread: waits to be asked, checkpoints, until stopped.
fn run(conn: &Connection, signal: &Signal) {
    loop {
        {
            let mut stop = signal.lock_stop();
            while !*stop && !signal.wanted.load(Ordering::Acquire) {
                stop = signal
                    .wake
                    .wait(stop)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if *stop {
                return;
            }
        }
        signal.wanted.store(false, Ordering::Release);
        // Busy (another process's checkpoint) or an I/O error: the next
        // commit asks again, and the hard bound still holds.
        let _running = signal.lock_running();
        let _ = passive(conn);
    }
}

/// One PASSIVE checkpoint of the main database on `conn`.
pub(crate) fn passive(conn: &Connection) -> Result<()> {
    conn.wal_checkpoint_v2(Some(rusqlite::MAIN_DB), CheckpointMode::PASSIVE)?;
    Ok(())
}
