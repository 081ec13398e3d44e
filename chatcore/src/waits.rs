//! Waking the threads that wait for changes
//! ([`Session::wait_for_changes`](crate::Session::wait_for_changes)).
//!
//! A [`Waits`] is a generation counter and a condvar shared by one store
//! and its clones. Every committed write of this process bumps it (after
//! the commit), and so does the backend's watcher when another process may
//! have committed; a waiter reads the generation, then asks the database
//! whether its user has new entries, and sleeps only while the generation
//! is still the one it read. Whatever commits after that read bumps the
//! generation, so no wake-up is lost. A bump with no waiter costs two
//! atomic operations and no lock.
//!
//! [`Waits::interrupt`] ends every wait running at that moment
//! ([`Store::interrupt_waits`](crate::Store::interrupt_waits)).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The wake-up signal of one store.
#[derive(Default)]
pub(crate) struct Waits {
    /// Bumped after every commit that may have added entries.
    generation: AtomicU64,
    /// Bumped by every interrupt.
    interrupts: AtomicU64,
    /// Threads inside [`Ticket::sleep`] (or about to be).
    waiters: AtomicUsize,
    lock: Mutex<()>,
    changed: Condvar,
}

/// Where a waiter stands: the generation and interrupt count it started
/// from. Holding one counts as a waiter.
pub(crate) struct Ticket<'a> {
    waits: &'a Waits,
    generation: u64,
    interrupts: u64,
}

/// Why [`Ticket::sleep`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Something committed since the ticket's generation: check again.
    Changed,
    /// [`Waits::interrupt`] was called.
    Interrupted,
    /// The deadline passed.
    TimedOut,
}

impl Waits {
    /// Starts a wait: registers the waiter, then reads the generation. A
    /// commit after this call bumps past it.
    pub(crate) fn ticket(&self) -> Ticket<'_> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        Ticket {
            waits: self,
            generation: self.generation.load(Ordering::SeqCst),
            interrupts: self.interrupts.load(Ordering::SeqCst),
        }
    }

    /// Something may have committed: wakes the waiters, if there are any.
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock();
            self.changed.notify_all();
        }
    }

    /// Ends every wait that is running now.
    pub(crate) fn interrupt(&self) {
        self.interrupts.fetch_add(1, Ordering::SeqCst);
        let _guard = self.lock();
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, only the condvar's handshake.
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Ticket<'_> {
    /// Whether the waits were interrupted since this ticket was taken.
    pub(crate) fn interrupted(&self) -> bool {
        self.waits.interrupts.load(Ordering::SeqCst) != self.interrupts
    }

    /// Sleeps until the generation moves past the ticket's, an interrupt,
    /// or `deadline` (but never past `recheck` from now); then takes the
    /// new generation as the ticket's.
    pub(crate) fn sleep(&mut self, deadline: Instant, recheck: Duration) -> Woken {
        let waits = self.waits;
        let until = deadline.min(Instant::now() + recheck);
        let mut guard = waits.lock();
        loop {
            if self.interrupted() {
                return Woken::Interrupted;
            }
            let now_generation = waits.generation.load(Ordering::SeqCst);
            if now_generation != self.generation {
                self.generation = now_generation;
                return Woken::Changed;
            }
            let now = Instant::now();
            if now >= until {
                return match now >= deadline {
                    true => Woken::TimedOut,
                    // A periodic re-check: the caller looks again.
                    false => Woken::Changed,
                };
            }
            guard = match waits.changed.wait_timeout(guard, until - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.waits.waiters.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::{Waits, Woken};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_bump_after_the_ticket_wakes_the_sleeper_and_none_before_it_does() {
        let waits = Arc::new(Waits::default());
        waits.bump();
        let mut ticket = waits.ticket();
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(ticket.sleep(soon, Duration::from_secs(5)), Woken::TimedOut);
        let bumper = {
            let waits = Arc::clone(&waits);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                waits.bump();
            })
        };
        let later = Instant::now() + Duration::from_secs(10);
        assert_eq!(ticket.sleep(later, Duration::from_secs(10)), Woken::Changed);
        bumper.join().unwrap();
    }

    #[test]
    fn an_interrupt_ends_a_running_wait_but_not_a_later_one() {
        let waits = Waits::default();
        let mut ticket = waits.ticket();
        waits.interrupt();
        let later = Instant::now() + Duration::from_secs(10);
        assert_eq!(
            ticket.sleep(later, Duration::from_secs(10)),
            Woken::Interrupted
        );
        drop(ticket);
        let mut next = waits.ticket();
        let soon = Instant::now() + Duration::from_millis(10);
        assert_eq!(next.sleep(soon, Duration::from_secs(5)), Woken::TimedOut);
    }
}
