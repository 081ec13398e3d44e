//! The shell's live lines: while the shell waits for input, new incoming
//! messages (and other people's read receipts and deleted threads) appear
//! above the prompt, without breaking the line being typed (rustyline's
//! external printer). A background thread waits on the change feed
//! (`Session::wait_for_changes`) of whoever is logged in at the moment.

use crate::commands::watch::{Names, describe};
use chatcore::{ChangeCursor, Session};
use rustyline::ExternalPrinter;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long one wait lasts before the thread checks who is logged in.
const WAIT: Duration = Duration::from_millis(300);

/// The live-lines thread: told who is logged in, stopped on drop.
pub struct Live {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    session: Mutex<Option<Session>>,
    stop: AtomicBool,
}

impl Live {
    /// Starts the thread, printing through `printer`.
    pub fn start(printer: impl ExternalPrinter + Send + 'static) -> Option<Live> {
        let shared = Arc::new(Shared {
            session: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("chat-live".into())
                .spawn(move || run(&shared, printer))
                .ok()?
        };
        Some(Live {
            shared,
            thread: Some(thread),
        })
    }

    /// The session whose changes to show from now on (`None`: nobody).
    pub fn follow(&self, session: Option<Session>) {
        let mut current = self.shared.lock();
        if current.as_ref().map(Session::id) != session.as_ref().map(Session::id) {
            *current = session;
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Session>> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(session) = self.shared.lock().as_ref() {
            session.store().interrupt_waits();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, mut printer: impl ExternalPrinter) {
    let mut following: Option<(chatcore::Uuid, ChangeCursor)> = None;
    let mut names = Names::default();
    while !shared.stop.load(Ordering::SeqCst) {
        let Some(session) = shared.lock().clone() else {
            following = None;
            std::thread::sleep(WAIT);
            continue;
        };
        let cursor = match following {
            Some((id, cursor)) if id == session.id() => cursor,
            _ => match session.change_cursor() {
                Ok(cursor) => {
                    names = Names::default();
                    cursor
                }
                Err(_) => {
                    // Logged out or ended elsewhere: the next command says so.
                    std::thread::sleep(WAIT);
                    continue;
                }
            },
        };
        following = Some((session.id(), cursor));
        let page = match session.wait_for_changes(Some(cursor), WAIT) {
            Ok(true) => session.changes(Some(cursor), Some(chatcore::MAX_PAGE_LIMIT)),
            Ok(false) => continue,
            Err(_) => {
                // Expired cursor or ended session: start again from now.
                following = None;
                std::thread::sleep(WAIT);
                continue;
            }
        };
        let Ok(page) = page else {
            following = None;
            continue;
        };
        following = Some((session.id(), page.next_cursor));
        for change in &page.items {
            if let Some(line) = describe(change, &session, &mut names)
                && printer.print(format!("{line}\n")).is_err()
            {
                return;
            }
        }
    }
}
