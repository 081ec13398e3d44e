//! The system under test, and the helpers that map model indexes to it.

use super::reference::Model;
use chatcore::{Session, Store, UserId};
use std::path::Path;

/// The system under test: a file store and one session handle per model session.
pub(crate) struct Real<'a> {
    pub(crate) path: &'a Path,
    pub(crate) store: Option<Store>,
    pub(crate) sessions: Vec<Option<Session>>,
    pub(crate) tokens: Vec<String>,
}

impl Real<'_> {
    pub(crate) fn store(&self) -> &Store {
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }

    pub(crate) fn session(&self, index: usize) -> Option<&Session> {
        self.sessions.get(index).and_then(Option::as_ref)
    }
}

pub(crate) fn code<T>(result: &chatcore::Result<T>) -> Result<(), &'static str> {
    match result {
        Ok(_) => Ok(()),
        Err(err) => Err(err.code()),
    }
}

/// An id for a user index: the stored id, or one no user has.
pub(crate) fn user_id(model: &Model, index: usize) -> UserId {
    UserId(
        model
            .users
            .get(&index)
            .copied()
            .unwrap_or(10_000 + index as i64),
    )
}

pub(crate) fn pick<T: Copy>(items: &[T], index: usize, missing: T) -> T {
    match items.len() {
        0 => missing,
        len => items[index % len],
    }
}
