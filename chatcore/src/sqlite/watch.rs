//! Noticing commits of other processes on the same file, for the change
//! feed's waits (`crate::waits`).
//!
//! One thread per store, started by the first wait. On Linux it sleeps in
//! `poll` on an inotify watch of the database's folder and wakes when the
//! database or its WAL is written (a commit in WAL mode appends to the WAL
//! file): it then calls the store's callback, which wakes the waiters, and
//! the waiters ask the database. The WAL write that makes the inotify event
//! comes just before the commit becomes visible (SQLite then updates the
//! shared-memory index), so for [`FOLLOW_UP`] after an event the thread
//! also polls `PRAGMA data_version` every [`FOLLOW_UP_STEP`] and calls the
//! callback again if it moved. Idle, the thread never wakes.
//!
//! Elsewhere, or where inotify is unavailable (a file system that does
//! not report, the watch limit reached), it polls `PRAGMA data_version`
//! every [`FALLBACK_POLL`] instead. The inotify crate choice: `rustix`,
//! already a dependency, wraps inotify, `poll` and `eventfd` directly,
//! where the `notify` crate would add its own threads and channels for
//! one folder.

use crate::error::Result;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The callback: another process may have committed.
pub(crate) type OnCommit = Arc<dyn Fn() + Send + Sync>;

/// How long after an inotify event `data_version` is still polled.
pub(crate) const FOLLOW_UP: Duration = Duration::from_millis(50);

/// The interval of that polling.
pub(crate) const FOLLOW_UP_STEP: Duration = Duration::from_millis(2);

/// The interval of polling where inotify is unavailable.
pub(crate) const FALLBACK_POLL: Duration = Duration::from_millis(25);

/// The watcher thread of one store: stopped and joined on drop.
pub(crate) struct Watcher {
    stop: Arc<AtomicBool>,
    #[cfg(target_os = "linux")]
    stop_fd: Option<Arc<rustix::fd::OwnedFd>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching the database at `path` (encrypted with `key`, if
    /// given).
    pub(crate) fn start(
        path: &Path,
        key: Option<&super::keyspec::ConnectionKey>,
        on_commit: OnCommit,
    ) -> Result<Watcher> {
        let conn = super::open::open_file(path, key)?;
        let stop = Arc::new(AtomicBool::new(false));
        #[cfg(target_os = "linux")]
        let stop_fd = rustix::event::eventfd(
            0,
            rustix::event::EventfdFlags::CLOEXEC | rustix::event::EventfdFlags::NONBLOCK,
        )
        .ok()
        .map(Arc::new);
        let thread = {
            let stop = Arc::clone(&stop);
            let path = path.to_path_buf();
            #[cfg(target_os = "linux")]
            let stop_fd = stop_fd.clone();
            std::thread::Builder::new()
                .name("chatcore-watch".into())
                .spawn(move || {
                    #[cfg(target_os = "linux")]
                    if let Some(stop_fd) = stop_fd
                        && inotify::run(&conn, &path, &stop, &stop_fd, &on_commit).is_ok()
                    {
                        return;
                    }
                    let _ = &path;
                    poll_data_version(&conn, &stop, &on_commit);
                })
                .map_err(|err| crate::Error::Storage {
                    message: format!("cannot start the change watcher thread: {err}"),
                    source: Some(Box::new(err)),
                })?
        };
        Ok(Watcher {
            stop,
            #[cfg(target_os = "linux")]
            stop_fd,
            thread: Some(thread),
        })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.stop_fd {
            let _ = rustix::io::write(&**fd, &1u64.to_ne_bytes());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `PRAGMA data_version`: changes when another connection commits.
fn data_version(conn: &Connection) -> Option<i64> {
    conn.pragma_query_value(None, "data_version", |row| row.get(0))
        .ok()
}

/// The fallback: polls `data_version` every [`FALLBACK_POLL`].
fn poll_data_version(conn: &Connection, stop: &AtomicBool, on_commit: &OnCommit) {
    let mut seen = data_version(conn);
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(FALLBACK_POLL);
        let now = data_version(conn);
        if now != seen {
            seen = now;
            on_commit();
        }
    }
}

/// The names in the folder whose writes mean a commit: the database and
/// its WAL.
fn watched_names(path: &Path) -> Option<(PathBuf, [std::ffi::OsString; 2])> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name()?.to_os_string();
    let mut wal = name.clone();
    wal.push("-wal");
    Some((folder, [name, wal]))
}

#[cfg(target_os = "linux")]
mod inotify {
    use super::{FOLLOW_UP, FOLLOW_UP_STEP, OnCommit, data_version, watched_names};
    use rusqlite::Connection;
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fd::OwnedFd;
    use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
    use std::mem::MaybeUninit;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    /// Watches until stopped; `Err` if inotify cannot be used (the caller
    /// then polls).
    pub(super) fn run(
        conn: &Connection,
        path: &Path,
        stop: &AtomicBool,
        stop_fd: &OwnedFd,
        on_commit: &OnCommit,
    ) -> Result<(), ()> {
        let (folder, names) = watched_names(path).ok_or(())?;
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK).map_err(|_| ())?;
        inotify::add_watch(
            &fd,
            &folder,
            WatchFlags::MODIFY | WatchFlags::CREATE | WatchFlags::MOVED_TO,
        )
        .map_err(|_| ())?;
        let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
        let mut follow_up_until: Option<Instant> = None;
        let mut seen = data_version(conn);
        while !stop.load(Ordering::SeqCst) {
            let timeout = follow_up_until.map(|_| Timespec {
                tv_sec: 0,
                tv_nsec: FOLLOW_UP_STEP.as_nanos() as _,
            });
            let mut fds = [
                PollFd::new(&fd, PollFlags::IN),
                PollFd::new(stop_fd, PollFlags::IN),
            ];
            match poll(&mut fds, timeout.as_ref()) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => return Err(()),
            }
            let event = !fds[0].revents().is_empty();
            if event {
                let mut relevant = false;
                let mut reader = inotify::Reader::new(&fd, &mut buf);
                loop {
                    match reader.next() {
                        Ok(event) => {
                            let name = event.file_name().map(|name| name.to_bytes());
                            relevant |= name.is_none()
                                || names.iter().any(|watched| Some(watched.as_bytes()) == name);
                        }
                        Err(rustix::io::Errno::AGAIN) => break,
                        Err(rustix::io::Errno::INTR) => continue,
                        Err(_) => return Err(()),
                    }
                }
                if relevant {
                    on_commit();
                    seen = data_version(conn);
                    follow_up_until = Some(Instant::now() + FOLLOW_UP);
                }
            } else if let Some(until) = follow_up_until {
                let now = data_version(conn);
                if now != seen {
                    seen = now;
                    on_commit();
                }
                if Instant::now() >= until {
                    follow_up_until = None;
                }
            }
        }
        Ok(())
    }
}
