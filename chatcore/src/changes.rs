//! Reading and waiting for the change feed (see `feed` for what is
//! written, why it is exact, and retention): [`Session::changes`],
//! [`Session::change_cursor`], [`Session::changes_iter`],
//! [`Session::wait_for_changes`] and [`Store::interrupt_waits`].

use crate::accounts::Session;
use crate::error::Result;
use crate::feed::{Change, ChangeCursor, ChangePage, change_from_row, read_page};
use crate::store::Store;
use crate::waits::Woken;
use std::time::{Duration, Instant};

impl Session {
    /// The user's feed entries after `after`, oldest first, at most `limit`
    /// (default 50, at most 500). `None` starts at the oldest entry kept.
    /// Exact: every entry committed for this user appears once, in commit
    /// order, also under concurrent writers in other processes.
    ///
    /// ```
    /// use chatcore::{ChangeKind, Config, NewUser, Store};
    /// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
    /// let ann = store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
    /// let bob = store.register(&NewUser { email: "bob@example.com", username: "bob", password: "battery staple", ..Default::default() })?;
    /// let ann_session = store.login("ann@example.com", "correct horse")?;
    /// let bob_session = store.login("bob@example.com", "battery staple")?;
    /// let cursor = bob_session.change_cursor()?;
    /// let (thread, _) = ann_session.create_thread(&[ann.id, bob.id])?;
    /// ann_session.send(thread.id, "hi Bob")?;
    /// let page = bob_session.changes(Some(cursor), None)?;
    /// assert_eq!(page.items[0].kind, ChangeKind::ThreadCreated);
    /// assert_eq!(page.items[1].message.as_ref().unwrap().text, "hi Bob");
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ChangesExpired`](crate::Error::ChangesExpired) if entries after `after` were pruned;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a bad limit or a cursor this store
    /// never gave; or a session error.
    pub fn changes(&self, after: Option<ChangeCursor>, limit: Option<u32>) -> Result<ChangePage> {
        let limit = crate::page::limit(limit)?;
        self.read(|tx, caller| {
            let (mut rows, start) = read_page(tx, caller.user_id, after, limit + 1)?;
            let has_more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            let next_cursor = ChangeCursor(rows.last().map_or(start, |row| row.id));
            let items = rows
                .into_iter()
                .map(change_from_row)
                .collect::<Result<Vec<_>>>()?;
            let next_cursor = match (after, items.is_empty()) {
                // Nothing kept: the current position.
                (None, true) => ChangeCursor(tx.newest_change_id(caller.user_id)?.max(start)),
                _ => next_cursor,
            };
            Ok(ChangePage {
                items,
                next_cursor,
                has_more,
            })
        })
    }

    /// The cursor of "now": the entries after it are those committed after
    /// this call. For a host that just loaded its screens.
    ///
    /// # Errors
    /// A session error.
    pub fn change_cursor(&self) -> Result<ChangeCursor> {
        self.read(|tx, caller| {
            let newest = tx.newest_change_id(caller.user_id)?;
            let pruned = tx.changes_pruned_through(caller.user_id)?;
            Ok(ChangeCursor(newest.max(pruned)))
        })
    }

    /// Every entry after `after`, page by page (each page one read), as an
    /// iterator: it ends when the feed has no more, and yields an error
    /// (then ends) if a page fails.
    pub fn changes_iter(&self, after: Option<ChangeCursor>, page_size: Option<u32>) -> ChangesIter {
        ChangesIter {
            session: self.clone(),
            cursor: after,
            page_size,
            page: Vec::new().into_iter(),
            done: false,
        }
    }

    /// Waits until the user has an entry after `after` (`None`: any kept
    /// entry), written by this process or another one on the same file,
    /// for at most `timeout`. Returns `true` as soon as there is one,
    /// `false` at the timeout or when [`Store::interrupt_waits`] ends the
    /// wait. Blocks the calling thread: hosts call it on a thread of their
    /// own.
    ///
    /// # Errors
    /// As [`Session::changes`] (an expired cursor, a session ended meanwhile).
    pub fn wait_for_changes(&self, after: Option<ChangeCursor>, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        let waits = self.store.waits();
        self.store.watch_other_processes()?;
        let mut ticket = waits.ticket();
        loop {
            let found = self.read(|tx, caller| {
                let (rows, _) = read_page(tx, caller.user_id, after, 1)?;
                Ok(!rows.is_empty())
            })?;
            if found {
                return Ok(true);
            }
            match ticket.sleep(deadline, self.store.config().wait_recheck) {
                Woken::Changed => {}
                Woken::Interrupted | Woken::TimedOut => return Ok(false),
            }
        }
    }
}

impl Store {
    /// Ends every [`Session::wait_for_changes`] running at this moment, on
    /// this store and its clones, from any thread: they return `false`.
    /// Waits started later are not affected. For a host shutting down.
    pub fn interrupt_waits(&self) {
        self.waits().interrupt();
    }
}

/// The pages of [`Session::changes_iter`], item by item.
#[derive(Debug)]
pub struct ChangesIter {
    session: Session,
    cursor: Option<ChangeCursor>,
    page_size: Option<u32>,
    page: std::vec::IntoIter<Change>,
    done: bool,
}

impl ChangesIter {
    /// The cursor after the last item yielded (or the one started from).
    pub fn cursor(&self) -> Option<ChangeCursor> {
        self.cursor
    }
}

impl Iterator for ChangesIter {
    type Item = Result<Change>;

    fn next(&mut self) -> Option<Result<Change>> {
        loop {
            if let Some(change) = self.page.next() {
                self.cursor = Some(change.cursor);
                return Some(Ok(change));
            }
            if self.done {
                return None;
            }
            match self.session.changes(self.cursor, self.page_size) {
                Ok(page) => {
                    self.done = !page.has_more;
                    self.page = page.items.into_iter();
                }
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
    }
}
