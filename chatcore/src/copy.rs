//! Copying a whole store into an empty one: [`Store::copy_to`].
//!
//! # How
//!
//! Through the storage seam only, so any backend copies into any other:
//! the source is read in pages of [`PAGE_ROWS`] rows on each table's
//! keyset, each page in its own short read transaction (as the exports do:
//! no snapshot is held for the whole copy), and the rows are written to
//! the target in transactions of up to [`BATCH_ROWS`] rows, with their ids
//! and every stored field (hashes, keys, counters, read marks, times).
//! Order: users (with their unread totals), sessions, threads (with both
//! member rows), messages (with their client keys, edit times and
//! withdrawals: a tombstone stays a tombstone), then the threads' newest
//! message and the id counters ([`ImportStorage::recompute_activity`]),
//! then every member row's activity, unread counter, read mark and clear
//! mark as stored. The change feed's entries are not copied: the copy's
//! feed numbers on from the source's highest entry id, and each user's
//! feed counts as pruned through their newest entry, so a cursor the
//! source gave gets [`Error::ChangesExpired`] (the host reloads and takes
//! a fresh cursor) or, if it had seen everything, goes on; never a gap.
//!
//! Only rows up to the highest ids read at the start are copied. Copy a
//! store nobody writes to meanwhile (stop the apps): a send during the copy
//! moves counters the copy may or may not see, and the verification at the
//! end then refuses the copy.
//!
//! # A copy that fails
//!
//! - A target that does not exist yet (a new SQLite file) is written to a
//!   private temporary file beside it and moved into place (never over
//!   anything) only when the copy is complete and verified: on failure
//!   nothing is left at the target.
//! - A target that exists (an empty store file, or a PostgreSQL database)
//!   is written in place. A failure after the first write returns
//!   [`Error::Storage`] saying that the target is partial: empty it (a new
//!   file; `DROP SCHEMA … CASCADE` on PostgreSQL) before copying again, as
//!   a copy refuses a target that is not empty.
//!
//! [`ImportStorage::recompute_activity`]: crate::storage::ImportStorage::recompute_activity

use crate::error::{Error, Result};
use crate::ids::{ThreadId, UserId};
use crate::models::{Message, Thread};
use crate::storage::{MemberRow, NewMessage, NewThread, NewUserRow, SessionRow, Tx, UserRow};
use crate::store::Store;
use serde::Serialize;
use std::path::Path;

/// Rows read per read transaction of the source.
const PAGE_ROWS: u32 = 500;

/// Rows written per write transaction of the target.
const BATCH_ROWS: usize = 5_000;

/// What a copy is doing, for [`CopyProgress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyStage {
    /// Users, with their password hashes and unread totals.
    Users,
    /// Login sessions.
    Sessions,
    /// Threads, with a member row per participant.
    Threads,
    /// Messages, with their read times and client keys.
    Messages,
    /// Each member's activity time, unread counter and read mark.
    ReadState,
    /// Comparing the counts and every user's unread total, and checking
    /// the target's counters against its messages.
    Verifying,
}

impl CopyStage {
    /// The stage's name for people, e.g. `"read state"`.
    pub fn label(self) -> &'static str {
        match self {
            CopyStage::Users => "users",
            CopyStage::Sessions => "sessions",
            CopyStage::Threads => "threads",
            CopyStage::Messages => "messages",
            CopyStage::ReadState => "read state",
            CopyStage::Verifying => "verifying",
        }
    }
}

/// How far a copy is, passed to the callback of [`Store::copy_to`] after
/// each batch written (and once at the start and end of each stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopyProgress {
    /// What is being copied.
    pub stage: CopyStage,
    /// Rows of this stage done so far.
    pub done: u64,
    /// Rows of this stage in the source when the copy began (users for
    /// [`CopyStage::Verifying`]).
    pub total: u64,
}

/// What [`Store::copy_to`] copied (and verified the target holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// Users copied.
    pub users: u64,
    /// Login sessions copied (expired ones too).
    pub sessions: u64,
    /// Threads copied.
    pub threads: u64,
    /// Messages copied.
    pub messages: u64,
}

/// Whether `target` names a database server rather than a file: a
/// `postgres://` / `postgresql://` URL or a libpq key-value string
/// (`host=… dbname=…`). Decides only whether the copy writes in place.
fn names_a_server(target: &Path) -> bool {
    const KEYWORDS: [&str; 10] = [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "sslmode",
        "options",
        "service",
        "application_name",
    ];
    let Some(text) = target.to_str() else {
        return false;
    };
    let text = text.trim_start();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return true;
    }
    let first = text.split_whitespace().next().unwrap_or("");
    first
        .split_once('=')
        .is_some_and(|(key, _)| KEYWORDS.contains(&key.trim()))
}

impl Store {
    /// Copies this whole store (users with their password hashes, sessions,
    /// threads, messages with their client keys, read marks, unread
    /// counters, activity times, all with their ids) into the empty store
    /// at `target`, given as [`Store::open`] takes it, opened with this
    /// store's [`Config`](crate::Config). Calls `progress` as it goes.
    /// A token that works here works on the copy.
    ///
    /// At the end the copy is verified: the same number of users,
    /// sessions, threads and messages as the source had when the copy
    /// began, every user's unread total equal to the source's, and no
    /// counter of the target disagreeing with its messages
    /// ([`Store::verify_unread`]).
    ///
    /// A new file is written aside and moved into place only when
    /// verified; an existing target (an empty store) is written in place,
    /// and left partial if the copy fails (see the module documentation of
    /// `copy` in the repository, or the error's message).
    ///
    /// ```
    /// use chatcore::{Config, NewUser, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("chatcore-copy-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let store = Store::open_with(dir.join("a.db"), Config::insecure_fast_for_tests())?;
    /// store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
    /// let token = store.login("ann@example.com", "correct horse")?.token().to_string();
    ///
    /// let report = store.copy_to(dir.join("b.db"), |_progress| {})?;
    /// assert_eq!(report.users, 1);
    /// let copy = Store::open_with(dir.join("b.db"), Config::insecure_fast_for_tests())?;
    /// assert_eq!(copy.resume(&token)?.me()?.username, "ann");
    /// # drop((store, copy)); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the target holds any user, thread or
    /// message (nothing is written to it); what [`Store::open`] returns for
    /// the target; [`Error::Storage`] if the verification finds a
    /// difference (the source changed during the copy) or a read or write
    /// fails (for a target written in place, the message says it is
    /// partial); [`Error::Busy`] if a lock stayed held.
    pub fn copy_to(
        &self,
        target: impl AsRef<Path>,
        mut progress: impl FnMut(&CopyProgress),
    ) -> Result<CopyReport> {
        let target = target.as_ref();
        let config = self.config().clone();
        if names_a_server(target) || std::fs::symlink_metadata(target).is_ok() {
            let store = Store::open_with(target, config)?;
            return copy_into(self, &store, &mut progress).map_err(|failure| match failure {
                Failure::Refused(err) => err,
                // The target is not named: a URL may carry a password.
                Failure::Partial(err) => Error::Storage {
                    message: format!(
                        "the copy stopped: {err}; the target is partial: empty it (drop its \
                         schema, or delete the file) before copying again"
                    ),
                    source: Some(Box::new(err)),
                },
            });
        }
        let mut report = None;
        crate::files::write_new_file_with(target, |temp_path, _| {
            let store = Store::open_with(temp_path, config)?;
            report = Some(copy_into(self, &store, &mut progress).map_err(Failure::into_error)?);
            // Closes every connection: SQLite moves its WAL into the file,
            // which then holds everything, before it is moved into place.
            drop(store);
            Ok(())
        })?;
        report.ok_or_else(|| Error::Internal("the copy reported nothing".to_string()))
    }
}

/// How a copy failed: before writing anything, or after.
enum Failure {
    /// Nothing was written to the target.
    Refused(Error),
    /// The target may hold part of the copy.
    Partial(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Refused(err) | Failure::Partial(err) => err,
        }
    }
}

fn copy_into(
    source: &Store,
    target: &Store,
    progress: &mut dyn FnMut(&CopyProgress),
) -> std::result::Result<CopyReport, Failure> {
    let (highest, counts) = source
        .read(|tx| Ok((tx.highest_ids()?, tx.row_counts()?)))
        .map_err(Failure::Refused)?;
    let in_target = target
        .read(|tx| tx.row_counts())
        .map_err(Failure::Refused)?;
    if in_target != [0; 4] {
        return Err(Failure::Refused(Error::InvalidArgument(format!(
            "the target is not empty ({} users, {} sessions, {} threads, {} messages); \
             a copy goes into an empty store only, and nothing was written",
            in_target[0], in_target[1], in_target[2], in_target[3]
        ))));
    }
    let changes = source
        .read(|tx| tx.highest_change_id())
        .map_err(Failure::Refused)?;
    copy_rows(source, target, highest, counts, progress).map_err(Failure::Partial)?;
    // The feed's entries are not copied (they are notices of changes the
    // copy already holds; each user's feed is marked pruned through its
    // newest): the ids go on from the source's, so a cursor the source
    // gave is expired here or goes on, never misses an entry.
    target
        .write(|tx| tx.continue_change_ids_after(changes))
        .map_err(Failure::Partial)?;
    verify(source, target, counts, progress).map_err(Failure::Partial)
}

/// Copies one table: pages of the source, written in batches. `read`
/// reads the page after the last row copied (`None`: the first).
fn copy_table<R>(
    source: &Store,
    target: &Store,
    (stage, total): (CopyStage, i64),
    progress: &mut dyn FnMut(&CopyProgress),
    mut read: impl FnMut(&mut dyn Tx, Option<&R>) -> Result<Vec<R>>,
    mut write: impl FnMut(&mut dyn Tx, &R) -> Result<()>,
) -> Result<u64> {
    let total = u64::try_from(total).unwrap_or(0);
    let mut done = 0u64;
    progress(&CopyProgress { stage, done, total });
    let mut batch: Vec<R> = Vec::new();
    let mut last: Option<R> = None;
    loop {
        let page = source.read(|tx| read(tx, batch.last().or(last.as_ref())))?;
        let finished = page.len() < PAGE_ROWS as usize;
        batch.extend(page);
        if batch.len() >= BATCH_ROWS || (finished && !batch.is_empty()) {
            target.write(|tx| batch.iter().try_for_each(|row| write(&mut *tx, row)))?;
            done += batch.len() as u64;
            last = batch.pop();
            batch.clear();
            progress(&CopyProgress { stage, done, total });
        }
        if finished {
            return Ok(done);
        }
    }
}

fn copy_rows(
    source: &Store,
    target: &Store,
    [users, threads, messages]: [i64; 3],
    counts: [i64; 4],
    progress: &mut dyn FnMut(&CopyProgress),
) -> Result<()> {
    copy_table(
        source,
        target,
        (CopyStage::Users, counts[0]),
        progress,
        |tx, last: Option<&UserRow>| {
            tx.user_rows_page(last.map_or(0, |row| row.user.id.get()), users, PAGE_ROWS)
        },
        |tx, row| {
            let user = &row.user;
            let id = tx.insert_user(&NewUserRow {
                id: Some(user.id),
                email: &user.email,
                email_key: &row.email_key,
                username: &user.username,
                username_key: &row.username_key,
                first_name: &user.first_name,
                last_name: &user.last_name,
                password_hash: row.password_hash.as_deref(),
                created_at: user.created_at,
            })?;
            tx.set_unread_total(id, row.unread_total)?;
            // The feed's entries are not copied: marked pruned instead.
            tx.prune_changes(id, row.changes_through).map(drop)
        },
    )?;
    copy_table(
        source,
        target,
        (CopyStage::Sessions, counts[1]),
        progress,
        |tx, last: Option<&(SessionRow, [u8; 32])>| {
            tx.sessions_page(last.map(|(row, _)| row.id), users, PAGE_ROWS)
        },
        |tx, (row, hash)| tx.insert_session(row, hash),
    )?;
    copy_table(
        source,
        target,
        (CopyStage::Threads, counts[2]),
        progress,
        |tx, last: Option<&Thread>| {
            tx.threads_page(last.map_or(0, |thread| thread.id.get()), threads, PAGE_ROWS)
        },
        |tx, thread| {
            let [low, high] = thread.participants;
            tx.insert_thread(&NewThread {
                id: Some(thread.id),
                low,
                high,
                created_at: thread.created_at,
                last_activity_at: thread.last_activity_at,
            })
            .map(drop)
        },
    )?;
    copy_table(
        source,
        target,
        (CopyStage::Messages, counts[3]),
        progress,
        |tx, last: Option<&(Message, Option<String>)>| {
            let after = last.map_or(0, |(message, _)| message.id.get());
            tx.message_rows_page(after, messages, PAGE_ROWS)
        },
        |tx, (message, client_key)| {
            tx.insert_message(&NewMessage {
                id: Some(message.id),
                thread_id: message.thread_id,
                sender_id: message.sender_id,
                text: &message.text,
                created_at: message.created_at,
                read_at: message.read_at,
                client_key: client_key.as_deref(),
            })?;
            // A message's life: its edit time (the text is already the
            // current one), then its withdrawal (the text already empty).
            if let Some(edited_at) = message.edited_at {
                tx.set_message_text(message.id, &message.text, edited_at)?;
            }
            if let Some(deleted_at) = message.deleted_at {
                tx.withdraw_message(message.id, deleted_at)?;
            }
            Ok(())
        },
    )?;
    // Each thread's newest message, and the id counters past the copied
    // ids; it also sets member activity, which the read state then
    // overwrites with the source's.
    target.write(|tx| tx.recompute_activity())?;
    copy_table(
        source,
        target,
        (CopyStage::ReadState, counts[2].saturating_mul(2)),
        progress,
        |tx, last: Option<&MemberRow>| {
            let after = last.map_or((ThreadId(0), UserId(0)), |row| (row.thread_id, row.user_id));
            tx.member_rows_page(after, threads, PAGE_ROWS)
        },
        |tx, row| match tx.set_member_row(row)? {
            true => Ok(()),
            false => Err(Error::storage(format!(
                "the copy has no member row of user {} in thread {}",
                row.user_id, row.thread_id
            ))),
        },
    )
    .map(drop)
}

/// The copy's check: the counts the source had at the start, every user's
/// unread total, and the target's own counter check.
fn verify(
    source: &Store,
    target: &Store,
    counts: [i64; 4],
    progress: &mut dyn FnMut(&CopyProgress),
) -> Result<CopyReport> {
    let total = u64::try_from(counts[0]).unwrap_or(0);
    let stage = CopyStage::Verifying;
    progress(&CopyProgress {
        stage,
        done: 0,
        total,
    });
    let copied = target.read(|tx| tx.row_counts())?;
    if copied != counts {
        return Err(Error::storage(format!(
            "the copy holds {copied:?} users, sessions, threads and messages where the source \
             held {counts:?} (was the source written to during the copy?)"
        )));
    }
    let mut after = UserId(0);
    let mut done = 0u64;
    loop {
        let here = source.read(|tx| tx.unread_totals_after(after, i64::from(PAGE_ROWS)))?;
        let there = target.read(|tx| tx.unread_totals_after(after, i64::from(PAGE_ROWS)))?;
        if let Some((mine, theirs)) = here.iter().zip(&there).find(|(a, b)| a != b) {
            return Err(Error::storage(format!(
                "unread totals differ after the copy: user {} has {} in the source, \
                 user {} has {} in the copy",
                mine.0, mine.1, theirs.0, theirs.1
            )));
        }
        if here.len() != there.len() {
            return Err(Error::storage("the copy's users differ from the source's"));
        }
        done += here.len() as u64;
        match here.last() {
            Some(&(last, _)) if here.len() == PAGE_ROWS as usize => after = last,
            _ => break,
        }
    }
    let report = target.verify_unread()?;
    if let Some(first) = report.mismatches.first() {
        return Err(Error::storage(format!(
            "the copy's unread counters disagree with its messages ({} mismatches, the first: \
             {first:?})",
            report.mismatches.len()
        )));
    }
    progress(&CopyProgress { stage, done, total });
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(CopyReport {
        users: count(counts[0]),
        sessions: count(counts[1]),
        threads: count(counts[2]),
        messages: count(counts[3]),
    })
}

#[cfg(test)]
mod tests {
    use super::names_a_server;
    use std::path::Path;

    #[test]
    fn urls_and_key_value_strings_name_a_server_and_paths_do_not() {
        for server in [
            "postgres://bench@localhost/bench",
            "postgresql://localhost/x?options=-csearch_path%3Dcopy",
            "host=localhost dbname=chat",
            "dbname=chat",
        ] {
            assert!(names_a_server(Path::new(server)), "{server}");
        }
        for path in [
            "chat.db",
            "/tmp/x=y.db",
            "dir/host=a.db",
            "./postgres:/x.db",
        ] {
            assert!(!names_a_server(Path::new(path)), "{path}");
        }
    }
}
