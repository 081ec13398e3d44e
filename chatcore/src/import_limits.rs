//! What a Django import accepts beyond the live API's rules: the largest
//! imported id, the largest entry, and the accounts that come in without a
//! login (named in the [`ImportReport`](crate::ImportReport)).

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::stored_hash::StoredHash;
use serde::Serialize;
use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// The largest primary key [`Store::import_django`](crate::Store::import_django)
/// accepts: 2^53 − 1 (9,007,199,254,740,991).
///
/// Two reasons. The store numbers its own users, threads and messages after
/// the largest id it holds, and an id space that reaches 2^63 − 1 is used up
/// for good; this bound leaves it more than 2^62 ids. And 2^53 − 1 is the
/// largest integer every JSON reader keeps exact (JavaScript and other
/// readers that parse numbers as doubles round larger ones), so every id the
/// store hands out reads back the same in `--json` output and exports.
pub const MAX_IMPORTED_ID: i64 = (1 << 53) - 1;

/// The largest dumpdata entry (one `{"model": …, "pk": …, "fields": …}`
/// object) an import reads: 1 MiB of JSON, or six times the configured
/// [`max_text_bytes`](crate::Config::max_text_bytes) plus 64 KiB if that is
/// larger (a text of the largest length, every byte escaped as `\uXXXX`,
/// still fits). A larger entry is refused as soon as the limit is passed,
/// without reading the rest of it into memory.
pub const MAX_IMPORT_ENTRY_BYTES: u64 = 1 << 20;

/// The entry limit for a store whose texts may be up to `max_text_bytes`.
pub(crate) fn entry_limit(max_text_bytes: usize) -> u64 {
    let text = u64::try_from(max_text_bytes).unwrap_or(u64::MAX);
    MAX_IMPORT_ENTRY_BYTES.max(text.saturating_mul(6).saturating_add(64 * 1024))
}

/// Why an imported account cannot log in until a password is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoLoginReason {
    /// The account was inactive (`is_active: false`) in Django.
    Inactive,
    /// Django's unusable password (`!…`, or none).
    UnusablePassword,
    /// A password hash that costs more to check than the caps allow: it is
    /// never run (see [`AccountWithoutLogin::detail`] for which cap).
    PasswordOverCaps,
}

impl NoLoginReason {
    /// Why, for people: "inactive in Django".
    pub fn describe(self) -> &'static str {
        match self {
            NoLoginReason::Inactive => "inactive in Django",
            NoLoginReason::UnusablePassword => "unusable password in Django",
            NoLoginReason::PasswordOverCaps => "password hash costs more to check than allowed",
        }
    }
}

/// An imported account that cannot log in until a password is set
/// (`chat set-password`, [`Store::set_password`](crate::Store)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountWithoutLogin {
    /// The account's id (the dump's pk).
    pub user_id: UserId,
    /// Its username.
    pub username: String,
    /// Its email.
    pub email: String,
    /// Why it cannot log in yet.
    pub reason: NoLoginReason,
    /// What exceeded the caps, for [`NoLoginReason::PasswordOverCaps`]
    /// (such as `pbkdf2 rounds 10000000 are over the cap of 1500000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Whether an imported account can log in with its stored hash, and if not,
/// why: the one place that decides it. The match is exhaustive on purpose: a
/// new kind of [`StoredHash`] that cannot log in (such as a hash above the
/// verification cost caps) must get a [`NoLoginReason`] of its own here.
pub(crate) fn no_login_reason(active: bool, stored: &StoredHash) -> Option<NoLoginReason> {
    if !active {
        return Some(NoLoginReason::Inactive);
    }
    match stored {
        StoredHash::Usable(_) => None,
        StoredHash::Unusable => Some(NoLoginReason::UnusablePassword),
        StoredHash::OverCaps(_) => Some(NoLoginReason::PasswordOverCaps),
    }
}

/// Refuses an imported primary key above [`MAX_IMPORTED_ID`] (or not a
/// positive integer); returns it with the entry's name for messages.
pub(crate) fn imported_pk(model: &str, pk: &serde_json::Value) -> Result<(i64, String)> {
    match pk.as_i64() {
        Some(pk) if (1..=MAX_IMPORTED_ID).contains(&pk) => Ok((pk, format!("{model} pk {pk}"))),
        _ if pk.as_u64().is_some() || pk.as_i64().is_some_and(|pk| pk > 0) => {
            Err(Error::InvalidImport(format!(
                "{model} pk {pk}: pks above {MAX_IMPORTED_ID} (2^53 - 1) are refused, \
                 to leave the store room for ids of its own"
            )))
        }
        _ => Err(Error::InvalidImport(format!(
            "{model} entry with pk {pk}: pks must be positive integers"
        ))),
    }
}

/// How much of the current entry has been read, shared between the reader
/// and the importer that starts each entry.
#[derive(Default)]
pub(crate) struct EntryBudget {
    limit: u64,
    used: Cell<u64>,
    armed: Cell<bool>,
    exceeded: Cell<bool>,
}

impl EntryBudget {
    pub(crate) fn new(limit: u64) -> Rc<EntryBudget> {
        Rc::new(EntryBudget {
            limit,
            ..EntryBudget::default()
        })
    }

    /// The next bytes read belong to a new entry.
    pub(crate) fn start_entry(&self) {
        self.used.set(0);
        self.armed.set(true);
    }

    /// The entries are over: what follows is not counted.
    pub(crate) fn stop(&self) {
        self.armed.set(false);
    }

    /// Whether the reader stopped because an entry passed the limit.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// The limit, for messages.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }
}

/// A reader that fails as soon as the current entry passes its budget, so
/// an oversized entry is never read whole.
pub(crate) struct LimitedReader<R> {
    inner: R,
    budget: Rc<EntryBudget>,
}

impl<R> LimitedReader<R> {
    pub(crate) fn new(inner: R, budget: Rc<EntryBudget>) -> LimitedReader<R> {
        LimitedReader { inner, budget }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let budget = &self.budget;
        if budget.armed.get() {
            let used = budget.used.get().saturating_add(read as u64);
            budget.used.set(used);
            if used > budget.limit {
                budget.exceeded.set(true);
                return Err(io::Error::other("an entry is over the size limit"));
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_stops_at_the_limit_of_one_entry() {
        let budget = EntryBudget::new(10);
        let mut reader = LimitedReader::new(&[b'x'; 64][..], budget.clone());
        let mut byte = [0u8; 4];
        budget.start_entry();
        for _ in 0..2 {
            assert_eq!(reader.read(&mut byte).unwrap(), 4);
        }
        budget.start_entry();
        for _ in 0..2 {
            assert_eq!(reader.read(&mut byte).unwrap(), 4);
        }
        assert!(reader.read(&mut byte).is_err());
        assert!(budget.exceeded());
    }

    #[test]
    fn the_entry_limit_grows_with_the_text_limit() {
        assert_eq!(entry_limit(64 * 1024), MAX_IMPORT_ENTRY_BYTES);
        assert_eq!(entry_limit(1 << 20), 6 * (1 << 20) + 64 * 1024);
    }
}
