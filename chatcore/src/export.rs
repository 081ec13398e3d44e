//! The two exports, read in pages of short read transactions.
//!
//! The NDJSON export keeps everything of the user's, including the client
//! keys of their own keyed sends; the Django export leaves client keys out
//! (the original service's `chat.message` model has no such field, and an
//! import of it starts with no keys).
//!
//! A message's life (issue 17): the NDJSON export keeps everything: edited
//! messages with `edited_at`, tombstones of withdrawn messages (empty text,
//! `deleted_at`), and the user's own clear mark as the thread line's
//! `cleared_through_id` (messages at or below it are still written: the
//! export is a copy of the store's rows, not of the view). The Django
//! export leaves tombstones out (the seed's `chat.message` has no field for
//! a withdrawn message, and an empty text is not a valid message there) and
//! writes edited messages with their current text; clear marks are per user
//! and have no place in it either, so a Django round trip shows cleared
//! messages again.
//!
//! An export's output goes wherever the caller points it, maybe a pipe
//! that stops being read. Reading everything in one transaction would pin
//! one snapshot for as long as that takes, and SQLite cannot reuse any of
//! the WAL written after that snapshot: 20,000 sends behind a paused
//! `chat export` grew the WAL to 585 MB. So each page (at most
//! [`PAGE_ROWS`] rows on a stable keyset, the primary key) is read in its
//! own read transaction and held in memory, and only written out after that
//! transaction has ended: a paused reader of the output holds no snapshot.
//!
//! What stays consistent without one snapshot:
//! - Django export: the highest user, thread and message ids are read first,
//!   and only rows up to them are exported, so rows created meanwhile are
//!   left out and every message's thread and every thread's participants
//!   were created before the export began. A thread deleted meanwhile takes
//!   its messages with it (in one transaction), so a message that appears
//!   has its thread in the file: threads are read before messages, and a
//!   thread id is never reused. Each row is as of the moment its page was
//!   read (a password changed meanwhile may show either hash; a message
//!   marked read meanwhile either state). An import or bulk load that
//!   commits rows with ids below those marks while an export runs may show
//!   in part: do not run them at the same time.
//! - NDJSON export: the user's thread ids are read first (threads created
//!   later are left out). Each thread's line and its other participant are
//!   read in one transaction with the thread's newest message id, and only
//!   messages up to that id follow the line: each thread is a coherent
//!   unit as of the moment its line was read. A thread deleted meanwhile is
//!   left out (or ends early, if deleted while its messages were read).

use crate::error::{Error, Result};
use crate::ids::MessageId;
use crate::models::{Message, Thread, User};
use crate::storage::Tx;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;

/// Rows read per read transaction.
const PAGE_ROWS: u32 = 500;

pub(crate) fn write_error(err: std::io::Error) -> Error {
    Error::Storage {
        message: format!("cannot write the export: {err}"),
        source: Some(Box::new(err)),
    }
}

fn json_error(err: serde_json::Error) -> Error {
    Error::storage(format!("cannot write the export: {err}"))
}

/// Django writes times as RFC 3339 (read back by the import).
fn format_time(time: &DateTime<Utc>) -> String {
    crate::rfc3339::format(time)
}

fn user_entry((user, password): &(User, Option<String>)) -> Value {
    json!({
        "model": "user.user",
        "pk": user.id.get(),
        "fields": {
            "password": password.as_deref().unwrap_or("!"),
            "last_login": null,
            "is_superuser": false,
            "email": user.email,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_staff": false,
            "is_active": true,
            "date_joined": format_time(&user.created_at),
            "groups": [],
            "user_permissions": [],
        }
    })
}

fn thread_entry(thread: &Thread) -> Value {
    json!({
        "model": "chat.thread",
        "pk": thread.id.get(),
        "fields": {
            "participants": [thread.participants[0].get(), thread.participants[1].get()],
            "created": format_time(&thread.created_at),
            "updated": format_time(&thread.last_activity_at),
        }
    })
}

fn message_entry(message: &Message) -> Value {
    json!({
        "model": "chat.message",
        "pk": message.id.get(),
        "fields": {
            "thread": message.thread_id.get(),
            "sender": message.sender_id.get(),
            "text": message.text,
            "created": format_time(&message.created_at),
            "is_read": message.read_at.is_some(),
        }
    })
}

/// Writes the entries of one model, page by page: each page read in its
/// own read transaction, written after it ended.
fn write_pages<R>(
    store: &Store,
    out: &mut impl Write,
    first: &mut bool,
    read: impl Fn(&mut dyn Tx, i64) -> Result<Vec<R>>,
    id: impl Fn(&R) -> i64,
    entry: impl Fn(&R) -> Option<Value>,
) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let page = store.read(|tx| read(tx, after))?;
        for value in page.iter().filter_map(&entry) {
            out.write_all(if *first { b"[\n" } else { b",\n" })
                .map_err(write_error)?;
            *first = false;
            serde_json::to_writer(&mut *out, &value).map_err(json_error)?;
        }
        match page.last() {
            Some(last) if page.len() == PAGE_ROWS as usize => after = id(last),
            _ => return Ok(()),
        }
    }
}

impl Store {
    /// The Django export's body (see [`Store::export_django`]), page by page.
    pub(crate) fn write_django_export(&self, out: &mut impl Write) -> Result<()> {
        let [users, threads, messages] = self.read(|tx| tx.highest_ids())?;
        let mut first = true;
        write_pages(
            self,
            out,
            &mut first,
            |tx, after| tx.users_page(after, users, PAGE_ROWS),
            |(user, _)| user.id.get(),
            |row| Some(user_entry(row)),
        )?;
        write_pages(
            self,
            out,
            &mut first,
            |tx, after| tx.threads_page(after, threads, PAGE_ROWS),
            |thread| thread.id.get(),
            |thread| Some(thread_entry(thread)),
        )?;
        write_pages(
            self,
            out,
            &mut first,
            |tx, after| tx.messages_page(after, messages, PAGE_ROWS),
            |message| message.id.get(),
            // Tombstones have no place in the seed's model (see the module
            // documentation).
            |message| message.deleted_at.is_none().then(|| message_entry(message)),
        )?;
        out.write_all(if first { b"[]\n" } else { b"\n]\n" })
            .map_err(write_error)
    }
}

/// One line of [`Session::export_ndjson`](crate::Session::export_ndjson).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum NdjsonLine<'a> {
    Thread {
        #[serde(flatten)]
        thread: &'a crate::threads::Thread,
        other: &'a crate::accounts::User,
        /// The user's clear mark, if they cleared the thread.
        #[serde(skip_serializing_if = "Option::is_none")]
        cleared_through_id: Option<MessageId>,
    },
    Message {
        #[serde(flatten)]
        message: &'a crate::messages::Message,
        /// The client key of the user's own keyed sends (never the other
        /// participant's: a key is its sender's).
        #[serde(skip_serializing_if = "Option::is_none")]
        client_key: Option<&'a str>,
    },
}

fn write_line(out: &mut impl Write, line: &NdjsonLine<'_>) -> Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(json_error)?;
    out.write_all(b"\n").map_err(write_error)
}

impl crate::accounts::Session {
    /// Writes this user's threads and messages as NDJSON, one JSON object a
    /// line: each thread (`"type":"thread"`, with the other participant)
    /// followed by its messages (`"type":"message"`) in id order. Fields are
    /// the serde models' (messages carry `edited_at` and `deleted_at`;
    /// withdrawn ones are written as their tombstones), a thread this user
    /// cleared carries `cleared_through_id` (its messages are all written),
    /// and the user's own messages sent with
    /// [`Session::send_with_key`](crate::Session::send_with_key) carry their
    /// `client_key`. Reads page by page in short read transactions
    /// (the session is checked on each), so a thread of a million messages
    /// is never held in memory and a slow reader of the output never holds
    /// the WAL: each thread and its messages are as of the moment its line
    /// was read; threads created after the export began are left out.
    ///
    /// # Errors
    /// A session error, or [`Error::Storage`] for a failed read or write.
    pub fn export_ndjson(&self, writer: impl Write) -> Result<()> {
        let mut out = std::io::BufWriter::new(writer);
        let ids = self.read(|tx, caller| tx.thread_ids_of(caller.user_id))?;
        for id in ids {
            let head = self.read(|tx, caller| {
                let Some(thread) = tx.thread(id)? else {
                    return Ok(None);
                };
                let other_id = crate::threads::require_participant(&thread, caller.user_id)?;
                let other = tx
                    .user(other_id)?
                    .ok_or_else(|| Error::storage(format!("thread {id} names a missing user")))?;
                let last = tx.last_message_id(id)?;
                let cleared = tx.cleared_through(caller.user_id, id)?;
                Ok(Some((thread, other, last, cleared)))
            })?;
            let Some((thread, other, last, cleared_through_id)) = head else {
                continue;
            };
            write_line(
                &mut out,
                &NdjsonLine::Thread {
                    thread: &thread,
                    other: &other,
                    cleared_through_id,
                },
            )?;
            let Some(last) = last else {
                continue;
            };
            let mut after = MessageId(0);
            while after < last {
                let (page, keys) = self.read(|tx, caller| {
                    let page = tx.page_after(id, after, PAGE_ROWS)?;
                    let up_to = page.last().map_or(after, |message| message.id.min(last));
                    let keys = tx.client_keys(id, caller.user_id, after, up_to)?;
                    Ok((page, keys))
                })?;
                let mut keys = keys.iter().peekable();
                for message in page.iter().take_while(|message| message.id <= last) {
                    let client_key = keys
                        .next_if(|(key_of, _)| *key_of == message.id)
                        .map(|(_, key)| key.as_str());
                    write_line(
                        &mut out,
                        &NdjsonLine::Message {
                            message,
                            client_key,
                        },
                    )?;
                }
                match page.last() {
                    Some(message) if page.len() == PAGE_ROWS as usize => after = message.id,
                    _ => break,
                }
            }
        }
        out.flush().map_err(write_error)
    }
}

impl crate::accounts::Session {
    /// [`Session::export_ndjson`](crate::Session::export_ndjson) into a new
    /// file (mode 0600), written beside `destination` and moved into place
    /// only when complete, never over anything there.
    ///
    /// # Errors
    /// A session error; [`Error::InvalidArgument`] if `destination` exists
    /// (even as an empty file, or if it appeared during the export);
    /// [`Error::Storage`] if it cannot be written.
    pub fn export_ndjson_to_file(&self, destination: impl AsRef<std::path::Path>) -> Result<()> {
        crate::files::write_new_file_with(destination.as_ref(), |_, file| self.export_ndjson(file))
    }
}
