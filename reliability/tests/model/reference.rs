//! The reference model: plain maps, no rules shared with the core.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub(crate) struct ModelMessage {
    pub(crate) id: i64,
    pub(crate) thread: i64,
    pub(crate) sender: usize,
    pub(crate) text: &'static str,
    pub(crate) read: bool,
    /// The client key it was sent under, if any.
    pub(crate) key: Option<&'static str>,
    /// Edited by its sender.
    pub(crate) edited: bool,
    /// Withdrawn by its sender (its text is then "").
    pub(crate) deleted: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Model {
    /// Registered users by index, with the id the store gave them.
    pub(crate) users: BTreeMap<usize, i64>,
    /// Sessions by index: whose, and whether still valid.
    pub(crate) sessions: Vec<(usize, bool)>,
    /// Threads: id → (pair of user indexes, deleted).
    pub(crate) threads: BTreeMap<i64, ([usize; 2], bool)>,
    pub(crate) messages: BTreeMap<i64, ModelMessage>,
    /// Clear marks: (user index, thread) → the newest message id when cleared.
    pub(crate) cleared: BTreeMap<(usize, i64), i64>,
}

impl Model {
    pub(crate) fn live_session(&self, index: usize) -> Result<usize, &'static str> {
        match self.sessions.get(index) {
            Some((user, true)) => Ok(*user),
            _ => Err("session_invalid"),
        }
    }

    /// Resolves a thread the way the caller may act on it.
    pub(crate) fn thread_for(&self, me: usize, id: i64) -> Result<[usize; 2], &'static str> {
        match self.threads.get(&id) {
            Some((pair, false)) if pair.contains(&me) => Ok(*pair),
            Some((_, false)) => Err("not_participant"),
            _ => Err("thread_not_found"),
        }
    }

    /// Whether `me` cleared `m` from their view.
    pub(crate) fn hidden(&self, me: usize, m: &ModelMessage) -> bool {
        self.cleared
            .get(&(me, m.thread))
            .is_some_and(|floor| m.id <= *floor)
    }

    /// Resolves a message the way the caller may change it (edit, withdraw).
    pub(crate) fn own_message(&self, me: usize, id: i64) -> Result<&ModelMessage, &'static str> {
        let m = self.messages.get(&id).ok_or("message_not_found")?;
        match self.threads[&m.thread] {
            (_, true) => Err("message_not_found"),
            (pair, false) if !pair.contains(&me) => Err("not_participant"),
            _ if self.hidden(me, m) => Err("message_not_found"),
            _ if m.sender != me => Err("not_sender"),
            _ => Ok(m),
        }
    }

    pub(crate) fn unread(&self, me: usize) -> u64 {
        self.messages
            .values()
            .filter(|m| !m.read && m.sender != me && !m.deleted && !self.hidden(me, m))
            .filter(|m| self.threads[&m.thread].0.contains(&me))
            .count() as u64
    }
}
