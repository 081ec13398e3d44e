//! Moving from the original Django service: import of a `dumpdata` JSON file
//! (users, threads, messages, keeping primary keys and password hashes), and
//! export back to the same format.
//!
//! The import streams the file (one entry in memory at a time) into one
//! IMMEDIATE transaction: all or nothing. Every entry passes the same rules
//! as the live API (valid email and username, two distinct participants,
//! the sender a participant, a non-empty text within the limit); a breach is
//! [`Error::InvalidImport`] naming the entry's model and pk.

use crate::accounts::key_holder;
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::import_limits::{
    AccountWithoutLogin, EntryBudget, LimitedReader, entry_limit, imported_pk, no_login_reason,
};
use crate::messages::{check_unread, validate_text};
use crate::names::validate_new_user;
use crate::storage::{DanglingReference, NewMessage, NewThread, NewUserRow, Tx, is_conflict};
use crate::store::Store;
use crate::stored_hash::{StoredHash, check_stored};
use crate::threads::{ordered_pair, other_of};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{Read, Write};

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Users imported.
    pub users: u64,
    /// Of those, accounts that cannot log in until a password is set
    /// (Django's unusable `!` passwords, inactive users, and password
    /// hashes that cost more to check than the caps allow).
    pub users_without_login: u64,
    /// Those accounts, each named with why it cannot log in yet, in file order.
    pub accounts_without_login: Vec<AccountWithoutLogin>,
    /// Threads imported.
    pub threads: u64,
    /// Threads whose pair already had a thread earlier in the file (the
    /// original service allowed duplicates): their messages were moved to
    /// that thread.
    pub threads_merged: u64,
    /// Messages imported.
    pub messages: u64,
    /// Entries of other models, skipped, by model name.
    pub skipped: BTreeMap<String, u64>,
    /// Whether this was a dry run (nothing was written).
    pub dry_run: bool,
}

#[derive(Deserialize)]
struct Entry {
    model: String,
    #[serde(default)]
    pk: Value,
    #[serde(default)]
    fields: Value,
}

impl Store {
    /// Imports a Django `dumpdata` JSON file in the original service's
    /// format: models `user.user`, `chat.thread` and `chat.message`; other
    /// models are skipped and counted. Primary keys and password hashes
    /// (Django `pbkdf2_sha256` or argon2) are kept: users log in with their
    /// old passwords, which are rehashed with argon2id on first login. A
    /// message marked `is_read` is read as of the import.
    ///
    /// With `dry_run`, everything is checked exactly as for real and the
    /// transaction rolled back. Threads must come before their messages, as
    /// `dumpdata` writes them. The file is read as a stream, one entry at a
    /// time; the cost is linear in its size, duplicate threads included.
    ///
    /// # Errors
    /// [`Error::InvalidImport`] naming the first bad entry (malformed JSON,
    /// a rule broken, a primary key already taken or above
    /// [`MAX_IMPORTED_ID`](crate::MAX_IMPORTED_ID), an entry over
    /// [`MAX_IMPORT_ENTRY_BYTES`](crate::MAX_IMPORT_ENTRY_BYTES), a reference
    /// to a missing user); nothing is imported. [`Error::Busy`],
    /// [`Error::Storage`].
    pub fn import_django(&self, reader: impl Read, dry_run: bool) -> Result<ImportReport> {
        let now = self.now();
        let max_text_bytes = self.config().max_text_bytes;
        let budget = EntryBudget::new(entry_limit(max_text_bytes));
        let reader = LimitedReader::new(std::io::BufReader::new(reader), budget.clone());
        self.write_or_roll_back_once(!dry_run, |tx| {
            tx.begin_import()?;
            let mut importer = Importer {
                tx: &mut *tx,
                now,
                max_text_bytes,
                report: ImportReport {
                    dry_run,
                    ..ImportReport::default()
                },
                threads: HashMap::new(),
                created_threads: HashSet::new(),
                failure: None,
                budget,
                entries: 0,
                last_entry: None,
            };
            let mut stream = serde_json::Deserializer::from_reader(reader);
            let parsed = EntriesSeed(&mut importer).deserialize(&mut stream);
            if let Some(failure) = importer.failure.take() {
                return Err(failure);
            }
            parsed
                .and_then(|()| stream.end())
                .map_err(|err| match err.is_io() {
                    true => Error::Storage {
                        message: format!("cannot read the import file: {err}"),
                        source: Some(Box::new(err)),
                    },
                    false => {
                        Error::InvalidImport(format!("the file is not valid dumpdata JSON: {err}"))
                    }
                })?;
            let report = importer.report;
            check_references(tx)?;
            // Every derived value in line with the messages: each thread's
            // last message and activity, each member's activity, and the
            // unread counters by the same check as `repair_unread`.
            tx.recompute_activity()?;
            check_unread(tx, true)?;
            // One feed entry per user, none per message.
            crate::feed::on_import(tx, now)?;
            Ok(report)
        })
    }

    /// Writes the whole store as a Django `dumpdata` JSON file that
    /// [`Store::import_django`] reads back to the same data: users (with
    /// their password hashes; `!` for accounts that cannot log in), threads
    /// and messages (`is_read` for a read message; the client keys of keyed
    /// sends are left out, as the Django model has no field for them). Reads page by page in
    /// short read transactions, so a slow reader of `writer` never holds the
    /// WAL; rows created after the export began are left out, and every
    /// message's thread and every thread's users are in the file (the
    /// consistency it gives is described in `export.rs`).
    ///
    /// # Errors
    /// [`Error::Storage`] for a failed read or write.
    pub fn export_django(&self, writer: impl Write) -> Result<()> {
        let mut out = std::io::BufWriter::new(writer);
        self.write_django_export(&mut out)?;
        out.flush().map_err(write_error)
    }

    /// [`Store::export_django`] into a new file (mode 0600), written beside
    /// `destination` and moved into place only when complete, never over
    /// anything there (see [`crate::files`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `destination` exists (even as an empty
    /// file, or if it appeared during the export); [`Error::Storage`] if it
    /// cannot be written.
    pub fn export_django_to_file(&self, destination: impl AsRef<std::path::Path>) -> Result<()> {
        crate::files::write_new_file_with(destination.as_ref(), |_, file| self.export_django(file))
    }
}

fn write_error(err: std::io::Error) -> Error {
    Error::Storage {
        message: format!("cannot write the export: {err}"),
        source: Some(Box::new(err)),
    }
}

/// Django writes times as RFC 3339; with `USE_TZ = False`, without an offset
/// (taken as UTC).
fn parse_time(value: &Value, at: &str, field: &str) -> Result<Option<DateTime<Utc>>> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|naive| naive.and_utc())
            })
            .map(Some)
            .map_err(|_| {
                Error::InvalidImport(format!("{at}: {field} {text:?} is not a date and time"))
            }),
        other => Err(Error::InvalidImport(format!(
            "{at}: {field} {other} is not a date and time"
        ))),
    }
}

struct Importer<'c> {
    tx: &'c mut dyn Tx,
    now: DateTime<Utc>,
    max_text_bytes: usize,
    report: ImportReport,
    /// Imported thread pk → the thread its messages go to, and its pair.
    threads: HashMap<i64, (ThreadId, UserId, UserId)>,
    /// The threads this import created, so a later duplicate of a pair is
    /// told from a thread already in the store in O(1).
    created_threads: HashSet<ThreadId>,
    /// The domain error that stopped the stream (serde only carries text).
    failure: Option<Error>,
    /// How much of the current entry the reader has read.
    budget: std::rc::Rc<EntryBudget>,
    /// Entries read so far, and the last one's name, to place an entry
    /// refused before its name could be read.
    entries: u64,
    last_entry: Option<String>,
}

impl Importer<'_> {
    /// The refusal of an entry over the size limit, placed by its position.
    fn too_large(&self) -> Error {
        let after = match &self.last_entry {
            Some(name) => format!(", the one after {name}"),
            None => String::new(),
        };
        Error::InvalidImport(format!(
            "entry {}{after} is larger than {} bytes of JSON, the limit for one entry; \
             it was refused without being read whole",
            self.entries + 1,
            self.budget.limit()
        ))
    }

    fn entry(&mut self, entry: Entry) -> Result<()> {
        match entry.model.as_str() {
            "user.user" => self.user(&entry),
            "chat.thread" => self.thread(&entry),
            "chat.message" => self.message(&entry),
            other => {
                *self.report.skipped.entry(other.to_string()).or_default() += 1;
                Ok(())
            }
        }
    }

    fn user(&mut self, entry: &Entry) -> Result<()> {
        let (pk, at) = pk(entry)?;
        let f = &entry.fields;
        let invalid = |err: Error| Error::InvalidImport(format!("{at}: {err}"));
        let valid = validate_new_user(
            text_field(f, "email", &at)?,
            text_field(f, "username", &at)?,
            None,
            optional_text(f, "first_name", &at)?,
            optional_text(f, "last_name", &at)?,
        )
        .map_err(invalid)?;
        let active = f.get("is_active").and_then(Value::as_bool).unwrap_or(true);
        let stored = check_stored(optional_text(f, "password", &at)?)
            .map_err(|why| Error::InvalidImport(format!("{at}: {why}")))?;
        let no_login = no_login_reason(active, &stored);
        let detail = match &stored {
            StoredHash::OverCaps(why) => Some(why.clone()),
            _ => None,
        };
        let password_hash = match stored {
            StoredHash::Usable(hash) if no_login.is_none() => Some(hash),
            _ => None,
        };
        let joined = parse_time(
            f.get("date_joined").unwrap_or(&Value::Null),
            &at,
            "date_joined",
        )?
        .unwrap_or(self.now);
        if let Some((_, other)) = key_holder(self.tx, &valid.email_key, &valid.username_key)? {
            return Err(Error::InvalidImport(format!(
                "{at}: its email or username (compared case-insensitively) already belongs to user {other}"
            )));
        }
        self.tx
            .insert_user(&NewUserRow {
                id: Some(UserId(pk)),
                email: &valid.email,
                email_key: &valid.email_key,
                username: &valid.username,
                username_key: &valid.username_key,
                first_name: &valid.first_name,
                last_name: &valid.last_name,
                password_hash: password_hash.as_deref(),
                created_at: joined,
            })
            .map_err(|err| taken(err, &at))?;
        self.report.users += 1;
        if let Some(reason) = no_login {
            self.report.users_without_login += 1;
            self.report
                .accounts_without_login
                .push(AccountWithoutLogin {
                    user_id: UserId(pk),
                    username: valid.username,
                    email: valid.email,
                    reason,
                    detail,
                });
        }
        Ok(())
    }

    fn thread(&mut self, entry: &Entry) -> Result<()> {
        let (pk, at) = pk(entry)?;
        let f = &entry.fields;
        let participants: Vec<UserId> = match f.get("participants") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_i64().map(UserId))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    Error::InvalidImport(format!("{at}: participants must be user pks"))
                })?,
            _ => {
                return Err(Error::InvalidImport(format!(
                    "{at}: participants is missing"
                )));
            }
        };
        let (low, high) = ordered_pair(&participants)
            .map_err(|err| Error::InvalidImport(format!("{at}: {err}")))?;
        let created = parse_time(f.get("created").unwrap_or(&Value::Null), &at, "created")?
            .unwrap_or(self.now);
        let updated = parse_time(f.get("updated").unwrap_or(&Value::Null), &at, "updated")?
            .unwrap_or(created);
        if let Some(existing) = self.tx.thread_by_pair(low, high)?.map(|thread| thread.id) {
            if !self.created_threads.contains(&existing) {
                return Err(Error::InvalidImport(format!(
                    "{at}: users {low} and {high} already have thread {existing} in this store"
                )));
            }
            self.threads.insert(pk, (existing, low, high));
            self.report.threads_merged += 1;
            return Ok(());
        }
        self.tx
            .insert_thread(&NewThread {
                id: Some(ThreadId(pk)),
                low,
                high,
                created_at: created,
                last_activity_at: updated.max(created),
            })
            .map_err(|err| taken(err, &at))?;
        self.threads.insert(pk, (ThreadId(pk), low, high));
        self.created_threads.insert(ThreadId(pk));
        self.report.threads += 1;
        Ok(())
    }

    fn message(&mut self, entry: &Entry) -> Result<()> {
        let (pk, at) = pk(entry)?;
        let f = &entry.fields;
        let thread_pk = int_field(f, "thread", &at)?;
        let sender = UserId(int_field(f, "sender", &at)?);
        let text = text_field(f, "text", &at)?;
        validate_text(text, self.max_text_bytes)
            .map_err(|err| Error::InvalidImport(format!("{at}: {err}")))?;
        let Some(&(thread, low, high)) = self.threads.get(&thread_pk) else {
            return Err(Error::InvalidImport(format!(
                "{at}: thread {thread_pk} is not earlier in the file (threads come before their messages)"
            )));
        };
        other_of([low, high], sender).map_err(|_| {
            Error::InvalidImport(format!(
                "{at}: sender {sender} is not a participant of thread {thread_pk}"
            ))
        })?;
        let created = parse_time(f.get("created").unwrap_or(&Value::Null), &at, "created")?
            .unwrap_or(self.now);
        let is_read = f.get("is_read").and_then(Value::as_bool).unwrap_or(false);
        let read_at = is_read.then_some(self.now);
        self.tx
            .insert_message(&NewMessage {
                id: Some(MessageId(pk)),
                thread_id: thread,
                sender_id: sender,
                text,
                created_at: created,
                read_at,
                client_key: None,
            })
            .map_err(|err| taken(err, &at))?;
        self.report.messages += 1;
        Ok(())
    }
}

fn pk(entry: &Entry) -> Result<(i64, String)> {
    imported_pk(&entry.model, &entry.pk)
}

fn text_field<'v>(fields: &'v Value, name: &str, at: &str) -> Result<&'v str> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidImport(format!("{at}: {name} is missing or not text")))
}

fn optional_text<'v>(fields: &'v Value, name: &str, at: &str) -> Result<&'v str> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(Error::InvalidImport(format!("{at}: {name} is not text"))),
    }
}

fn int_field(fields: &Value, name: &str, at: &str) -> Result<i64> {
    fields
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::InvalidImport(format!("{at}: {name} is missing or not a pk")))
}

/// A primary key (or thread pair) that is already in the store: foreign keys
/// are deferred, so the only constraint an insert can break is uniqueness.
fn taken(err: Error, at: &str) -> Error {
    match is_conflict(&err) {
        true => Error::InvalidImport(format!("{at}: that pk is already in the store")),
        false => err,
    }
}

/// References are checked at the end of the import; name the first entry
/// that refers to a user missing from the file and the store.
fn check_references(tx: &mut dyn Tx) -> Result<()> {
    let what = match tx.first_dangling_reference()? {
        None => return Ok(()),
        Some(DanglingReference::Thread(pk)) => format!("chat.thread pk {pk}: a participant"),
        Some(DanglingReference::Message(pk)) => format!("chat.message pk {pk}: the sender"),
        Some(DanglingReference::Other(table)) => format!("a row of {table}"),
    };
    Err(Error::InvalidImport(format!(
        "{what} is not a user in the file or the store"
    )))
}

/// Feeds the array's entries to the importer one at a time.
struct EntriesSeed<'i, 'c>(&'i mut Importer<'c>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of dumpdata entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let importer = self.0;
        loop {
            importer.budget.start_entry();
            let entry = match seq.next_element::<Entry>() {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(err) => {
                    if importer.budget.exceeded() {
                        importer.failure = Some(importer.too_large());
                    }
                    return Err(err);
                }
            };
            importer.entries += 1;
            let name = format!("{} pk {}", entry.model, entry.pk);
            if let Err(err) = importer.entry(entry) {
                let message = err.to_string();
                importer.failure = Some(err);
                return Err(serde::de::Error::custom(message));
            }
            importer.last_entry = Some(name);
        }
        importer.budget.stop();
        Ok(())
    }
}
