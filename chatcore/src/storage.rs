//! The storage seam: what the domain modules ask of a database, and nothing
//! about how a database answers.
//!
//! # Design
//!
//! - **A [`Backend`] runs transactions.** The [`Store`](crate::Store) holds
//!   one as `Box<dyn Backend>` and runs every call's work through
//!   [`Backend::run`] in a [`Mode`] (read snapshot, single read, write,
//!   dry run, write only if the lock is free). The work receives
//!   `&mut dyn Tx`.
//! - **Storage is one trait per aggregate**: [`AccountStorage`] (users,
//!   sessions), [`ThreadStorage`] (threads and their member rows),
//!   [`MessageStorage`] (messages, read marks, unread counters),
//!   [`LifeStorage`] (edits, withdrawals, clear marks),
//!   [`ImportStorage`] (what a whole-store import or export needs: deferred
//!   references, the activity recompute, id-ordered pages) and
//!   [`CopyStorage`] (every stored field, for `Store::copy_to`) and
//!   [`SearchStorage`] (the full-text index, in `storage/search.rs`). [`Tx`] is their
//!   union; the transaction object a backend hands out implements it. The
//!   methods are plain reads and writes of records: none decides anything a
//!   rule decides.
//! - **Rules live once, in the domain modules**, which never name a
//!   database crate:
//!   - `names`: valid email, username, names and password, their keys, and
//!     `validate_new_user` (register, bulk load and the Django import);
//!   - `accounts`: keys free (`key_holder` / `require_keys_free`), the
//!     session check and the expiry rule (`check_session`,
//!     `require_unexpired`), when `last_used_at` is refreshed, a login's
//!     cleanup of expired sessions, only one's own sessions;
//!   - `threads`: two distinct participants (`ordered_pair`), the
//!     participant check (`other_of`, behind `require_participant`), the one
//!     create-or-get (`create_or_get`, also the bulk loader's);
//!   - `messages`: valid text, only the recipient marks read, the unread
//!     accounting of a send (`record_send`), of read marks and of the
//!     read-mark backlog, and the check of every counter
//!     (`unread_check::check_unread_batch`, also after an import); `bulk` applies the same
//!     accounting once per thread. The idempotent send too: a valid client
//!     key, the same sender and key give the first message, a mismatch is
//!     refused (`validate_client_key`, `record_keyed_send`). What a
//!     withdrawal takes off the unread counters (`withdrawn_unread`,
//!     `take_withdrawn_from_unread`);
//!   - `threads` also: what a member's clear mark hides (`hidden_from`,
//!     `require_visible`);
//!   - `lifecycle`: a message's life: only the sender edits or withdraws,
//!     within the window (`require_own_change`), and the one edit,
//!     withdrawal and clear (`record_edit`, `record_withdrawal`,
//!     `record_clear`), over [`LifeStorage`].
//! - **Methods take `&mut self`**, so a backend whose transaction needs
//!   exclusive access to run a statement (the synchronous `postgres` crate's
//!   `Transaction`) implements them directly; SQLite's holds a shared
//!   `&Connection` and does not mind.
//! - **Ids come back from the backend** (`insert_*` return the new id, by
//!   whatever means the database has: SQLite's rowid, PostgreSQL's
//!   `RETURNING id`); an insert may also be given an explicit id (imports
//!   keep their primary keys, and [`ImportStorage::recompute_activity`]
//!   brings id counters past them). No method exposes rowids, `INSERT OR …`
//!   conflict clauses or pragmas; an insert that meets an id or key in use
//!   fails with a [`Conflict`].
//! - **Times are [`DateTime<Utc>`]** at millisecond precision; how they are
//!   stored is the backend's business. Keyset cursors are plain integers
//!   ([`InboxKey`]) so that any value a caller passes is representable.
//! - **Errors are [`crate::Error`]**: a backend maps its own failures to
//!   [`crate::Error::Busy`] / [`crate::Error::Storage`] (see
//!   `sqlite::error`), so the domain never sees a driver's error type.
//! - **Fast paths stay inside the backend**: SQLite keeps the message
//!   insert prepared for the whole transaction (a bulk load inserts through
//!   the same [`MessageStorage::insert_message`] as a send) and raises its
//!   page cache when told of a bulk load ([`MessageStorage::set_bulk_mode`]).
//! - **Fused calls** ([`FusedStorage`], in `storage/fused.rs`): one call
//!   for what an operation would ask in several (the session with the
//!   thread, a send's writes), with defaults that compose the other
//!   methods; a backend where each call is a round trip overrides them.
//! - **The change feed** is [`FeedStorage`]: appending and reading a
//!   user's entries; which entries an operation writes, and when they are
//!   pruned, is `feed`'s decision.
//!
//! The SQLite implementation is `crate::sqlite`, the only module that
//! names the SQLite driver (`tests/seam.rs` checks it, and that the modules
//! have no import cycles).

use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::{Message, Thread, ThreadSummary, User};
use chrono::{DateTime, Utc};

mod copy;
pub(crate) use copy::{CopyStorage, MemberKey, MemberRow, UserRow};

/// How [`Backend::run`] runs the work of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One consistent snapshot that does not block writers.
    Read,
    /// One read statement (the hottest calls): the backend may skip the
    /// explicit transaction when a single statement is its own snapshot.
    ReadOne,
    /// A write transaction that takes the write lock first, committed if
    /// the work succeeds and rolled back (nothing kept) if it fails.
    Write,
    /// As [`Mode::Write`], always rolled back: a dry run.
    DryRun,
    /// As [`Mode::Write`], only if the write lock is free at once (and the
    /// store writable); otherwise the work does not run.
    WriteIfFree,
}

/// A database: runs the work of each call in a transaction and answers the
/// few questions about itself the [`Store`](crate::Store) passes on. The
/// store holds one as `Box<dyn Backend>`; `sqlite::Backend` is the one
/// there is.
pub(crate) trait Backend: Send + Sync {
    /// Runs `work` once in a transaction of `mode`; `Ok(false)` only when a
    /// [`Mode::WriteIfFree`] did not run it. An error of `work` rolls back
    /// and is returned as is; the backend's own failures are
    /// [`crate::Error::Busy`] / [`crate::Error::Storage`].
    fn run(&self, mode: Mode, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<bool>;
    /// The database file, if the store is one.
    fn path(&self) -> Option<&std::path::Path>;
    /// Whether writes are refused (a read-only file).
    fn is_read_only(&self) -> bool;
    /// Moves what it can of a write-ahead log into the database now.
    fn checkpoint(&self) -> Result<()>;
    /// Writes a consistent copy of the whole store to the new, empty file
    /// `target`, encrypted with `key`, or plain for `None`.
    fn backup_into(
        &self,
        target: &std::path::Path,
        key: Option<&crate::key::DatabaseKey>,
    ) -> Result<()>;
    /// The key the store's file is encrypted with (`None`: a plain file, or
    /// a backend that does not encrypt its files).
    fn key(&self) -> Option<crate::key::DatabaseKey>;
    /// Changes the key of an encrypted store atomically: after a crash the
    /// file opens with the old or the new key. `InvalidArgument` for a
    /// store that has no key.
    fn rekey(&self, new_key: &crate::key::DatabaseKey) -> Result<()>;
    /// From now until the backend drops, calls `on_commit` (from a thread
    /// of the backend) soon after another process may have committed to
    /// the store; a call that finds it already watching does nothing. A
    /// store no other process can reach (in memory) does nothing.
    fn watch_other_processes(
        &self,
        on_commit: std::sync::Arc<dyn Fn() + Send + Sync>,
    ) -> Result<()>;
    /// Whether this backend answers each [`FusedStorage`] read in one
    /// statement (its own snapshot), so that a read made of one fused call
    /// needs no transaction around it ([`Mode::ReadOne`]). `false`: the
    /// defaults compose several calls, which run in a [`Mode::Read`].
    fn fused_reads_are_one_statement(&self) -> bool {
        false
    }
    /// The concrete backend, for its own tests.
    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Everything one transaction can do: the per-aggregate traits together.
/// The domain code receives `&mut` a `Tx` (or one of its parts).
pub(crate) trait Tx:
    AccountStorage
    + ThreadStorage
    + MessageStorage
    + LifeStorage
    + ImportStorage
    + CopyStorage
    + SearchStorage
    + FeedStorage
    + FusedStorage
{
}

impl<
    T: AccountStorage
        + ThreadStorage
        + MessageStorage
        + LifeStorage
        + ImportStorage
        + CopyStorage
        + SearchStorage
        + FeedStorage
        + FusedStorage
        + ?Sized,
> Tx for T
{
}

pub(crate) mod feed;
pub(crate) mod fused;
pub(crate) mod import;
pub(crate) mod life;
pub(crate) mod search;
pub(crate) use feed::{ChangeRow, FeedStorage, NewChange};
pub(crate) use fused::{
    CountsWrite, FusedStorage, MemberMarks, MessageContext, PairContext, PairGuard, SendGuard,
    SendWrite, ThreadContext,
};
pub(crate) use import::{DanglingReference, ImportStorage};
pub(crate) use life::LifeStorage;
pub(crate) use search::{SearchKey, SearchPlan, SearchRow, SearchStorage};

/// The source of an [`Error::Storage`](crate::Error::Storage) a backend
/// returns when an insert breaks a uniqueness rule (an id or a key already
/// in use): the rules check first, so only an import keeping its primary
/// keys meets it, and [`is_conflict`] tells it apart.
#[derive(Debug)]
pub(crate) struct Conflict(pub Box<dyn std::error::Error + Send + Sync + 'static>);

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "already in use: {}", self.0)
    }
}

impl std::error::Error for Conflict {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Whether `err` is a backend's [`Conflict`].
pub(crate) fn is_conflict(err: &crate::Error) -> bool {
    matches!(err, crate::Error::Storage { source: Some(source), .. } if source.is::<Conflict>())
}

/// A user to insert: fields already validated (`names::validate_new_user`)
/// and their keys free.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewUserRow<'a> {
    /// An explicit id (an import keeping its primary key), or `None` for the
    /// next one the store assigns.
    pub id: Option<UserId>,
    /// The email, trimmed.
    pub email: &'a str,
    /// The email's uniqueness key.
    pub email_key: &'a str,
    /// The username.
    pub username: &'a str,
    /// The username's uniqueness key.
    pub username_key: &'a str,
    /// The first name.
    pub first_name: &'a str,
    /// The last name.
    pub last_name: &'a str,
    /// The password hash (PHC string), or `None` for an account that cannot log in.
    pub password_hash: Option<&'a str>,
    /// When the user registered.
    pub created_at: DateTime<Utc>,
}

/// A login session as stored (the token itself never is, only its SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionRow {
    /// The public id.
    pub id: uuid::Uuid,
    /// Whose session.
    pub user_id: UserId,
    /// When a login created it.
    pub created_at: DateTime<Utc>,
    /// When it was last refreshed.
    pub last_used_at: DateTime<Utc>,
    /// When it stops working (the rule is `accounts::require_unexpired`).
    pub expires_at: DateTime<Utc>,
}

/// Users and their login sessions.
pub(crate) trait AccountStorage {
    /// The user with this id.
    fn user(&mut self, id: UserId) -> Result<Option<User>>;
    /// The user whose email key is `key`.
    fn user_by_email_key(&mut self, key: &str) -> Result<Option<User>>;
    /// The user whose username key is `key`.
    fn user_by_username_key(&mut self, key: &str) -> Result<Option<User>>;
    /// The id of the user whose email key is `key`.
    fn user_id_by_email_key(&mut self, key: &str) -> Result<Option<UserId>>;
    /// The id of the user whose username key is `key`.
    fn user_id_by_username_key(&mut self, key: &str) -> Result<Option<UserId>>;
    /// The id and password hash of the user whose email key is `key`.
    fn credentials_by_email_key(&mut self, key: &str) -> Result<Option<(UserId, Option<String>)>>;
    /// Inserts a user; returns its id. A key or id in use fails (the rules
    /// check first).
    fn insert_user(&mut self, new: &NewUserRow<'_>) -> Result<UserId>;
    /// Replaces the user's hash only if it is still `old`.
    fn replace_password_hash(&mut self, user: UserId, old: &str, new: &str) -> Result<()>;
    /// Sets the user's hash.
    fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<()>;
    /// Up to `limit` users whose username key starts with `username_prefix`
    /// or whose email key starts with `email_prefix`, by username key.
    fn users_by_key_prefix(
        &mut self,
        username_prefix: &str,
        email_prefix: &str,
        limit: u32,
    ) -> Result<Vec<User>>;
    /// The session with this token hash.
    fn session(&mut self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>>;
    /// Every session of the user, expired or not.
    fn sessions_of(&mut self, user: UserId) -> Result<Vec<SessionRow>>;
    /// Stores a new session.
    fn insert_session(&mut self, row: &SessionRow, token_hash: &[u8; 32]) -> Result<()>;
    /// Sets the session's `last_used_at`.
    fn touch_session(&mut self, token_hash: &[u8; 32], now: DateTime<Utc>) -> Result<()>;
    /// Deletes the session with this token hash; whether there was one.
    fn delete_session_by_hash(&mut self, token_hash: &[u8; 32]) -> Result<bool>;
    /// Deletes the user's session with this id; whether there was one.
    fn delete_session(&mut self, id: uuid::Uuid, user: UserId) -> Result<bool>;
    /// Deletes every session of the user.
    fn delete_sessions_of(&mut self, user: UserId) -> Result<()>;
}

/// A thread to insert, with both member rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewThread {
    /// An explicit id (an import keeping its primary key), or `None` for the
    /// next one the store assigns.
    pub id: Option<ThreadId>,
    /// The pair, already checked and ordered (`low < high`).
    pub low: UserId,
    /// The higher id of the pair.
    pub high: UserId,
    /// When the thread was created.
    pub created_at: DateTime<Utc>,
    /// Its activity time (the creation time, or later for an import).
    pub last_activity_at: DateTime<Utc>,
}

/// A message to insert.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewMessage<'a> {
    /// An explicit id (an import keeping its primary key), or `None` for the
    /// next one the store assigns (always above every id ever used).
    pub id: Option<MessageId>,
    /// The thread; exists.
    pub thread_id: ThreadId,
    /// The sender; a participant.
    pub sender_id: UserId,
    /// The text, already validated.
    pub text: &'a str,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it was read, or `None`.
    pub read_at: Option<DateTime<Utc>>,
    /// The sender's key of an idempotent send, already validated; unique
    /// per sender (an insert under a key the sender used is a [`Conflict`]).
    pub client_key: Option<&'a str>,
}

/// A position in a user's inbox, newest first: entries strictly below
/// `(activity_ms, thread_id)` come next. `(i64::MAX, i64::MAX)` is the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InboxKey {
    /// The member's activity time, in milliseconds since the epoch.
    pub activity_ms: i64,
    /// The thread id, to break ties.
    pub thread_id: i64,
}

/// One inbox row: the entry, and the member activity time its key is made of.
pub(crate) type InboxRow = (ThreadSummary, i64);

/// A per-thread unread counter as stored, beside what the messages say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberUnread {
    /// The thread.
    pub thread_id: ThreadId,
    /// `members.unread` as stored.
    pub stored: i64,
    /// The other participant's messages in the thread with no read time.
    pub actual: i64,
}

/// Threads and their per-participant member rows.
pub(crate) trait ThreadStorage {
    /// Whether a user with this id exists.
    fn user_exists(&mut self, id: UserId) -> Result<bool>;
    /// The thread of an ordered pair, if there is one (the pair is unique).
    fn thread_by_pair(&mut self, low: UserId, high: UserId) -> Result<Option<Thread>>;
    /// The thread with this id.
    fn thread(&mut self, id: ThreadId) -> Result<Option<Thread>>;
    /// The thread's newest message id, if it has any.
    fn last_message_id(&mut self, id: ThreadId) -> Result<Option<MessageId>>;
    /// Inserts the thread and one member row per participant (activity as
    /// given, unread 0, read mark 0); returns its id. A pair that already
    /// has a thread, or an id in use, fails (the rules check first).
    fn insert_thread(&mut self, new: &NewThread) -> Result<ThreadId>;
    /// Sets the thread's activity time and newest message.
    fn set_thread_activity(
        &mut self,
        id: ThreadId,
        activity: DateTime<Utc>,
        last_message: MessageId,
    ) -> Result<()>;
    /// Sets a member's activity time and adds `unread_delta` to its unread
    /// counter, in one write.
    fn set_member_activity(
        &mut self,
        user: UserId,
        thread: ThreadId,
        activity: DateTime<Utc>,
        unread_delta: i64,
    ) -> Result<()>;
    /// The ids of the user's threads, ascending.
    fn thread_ids_of(&mut self, user: UserId) -> Result<Vec<ThreadId>>;
    /// The thread's members with their unread counters.
    fn member_unread_counts(&mut self, thread: ThreadId) -> Result<Vec<(UserId, i64)>>;
    /// Up to `limit` inbox entries of `user` below `key`, newest activity
    /// first, each with its member activity time.
    fn inbox(&mut self, user: UserId, key: InboxKey, limit: u32) -> Result<Vec<InboxRow>>;
    /// The inbox entry of `user` for one thread, if `user` is a member.
    fn summary(&mut self, user: UserId, thread: ThreadId) -> Result<Option<ThreadSummary>>;
    /// Deletes the thread with its member rows and messages. Counters
    /// elsewhere (users' totals) are the caller's to adjust first.
    fn delete_thread(&mut self, id: ThreadId) -> Result<()>;
}

/// Messages, read marks and the unread counters.
pub(crate) trait MessageStorage {
    /// The message with this id.
    fn message(&mut self, id: MessageId) -> Result<Option<Message>>;
    /// Inserts a message; returns its id.
    fn insert_message(&mut self, new: &NewMessage<'_>) -> Result<MessageId>;
    /// The message `sender` sent under the client key `key`, if any.
    fn message_by_client_key(&mut self, sender: UserId, key: &str) -> Result<Option<Message>>;
    /// The client keys of `sender`'s keyed messages in the thread with ids
    /// above `after` and at most `up_to`, in id order.
    fn client_keys(
        &mut self,
        thread: ThreadId,
        sender: UserId,
        after: MessageId,
        up_to: MessageId,
    ) -> Result<Vec<(MessageId, String)>>;
    /// Up to `limit` messages of the thread with ids below `before`, newest first.
    fn page_before(
        &mut self,
        thread: ThreadId,
        before: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// Up to `limit` messages of the thread with ids above `after`, oldest first.
    fn page_after(
        &mut self,
        thread: ThreadId,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// Sets the read time of an unread message; whether it was unread.
    fn set_message_read(&mut self, id: MessageId, now: DateTime<Utc>) -> Result<bool>;
    /// Sets the read time of `sender`'s unread messages in the thread with
    /// ids in `(after, up_to]`; how many it set.
    fn set_messages_read(
        &mut self,
        thread: ThreadId,
        sender: UserId,
        after: MessageId,
        up_to: MessageId,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// The member's unread counter and read mark, read together.
    fn member_read_state(&mut self, user: UserId, thread: ThreadId) -> Result<(i64, MessageId)>;
    /// A bulk load is starting (`true`) or ending (`false`) in this
    /// transaction: the backend may size its caches for a large transaction
    /// (SQLite raises the page cache). Called with `false` before the
    /// transaction ends, also when the load failed.
    fn set_bulk_mode(&mut self, on: bool) -> Result<()>;
    /// The member's read mark: every message of the other participant at or
    /// below it is read.
    fn last_read_id(&mut self, user: UserId, thread: ThreadId) -> Result<MessageId>;
    /// Sets the member's read mark.
    fn set_last_read_id(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()>;
    /// Adds `delta` to the member's unread counter.
    fn add_member_unread(&mut self, user: UserId, thread: ThreadId, delta: i64) -> Result<()>;
    /// Adds `delta` to the user's unread total.
    fn add_unread_total(&mut self, user: UserId, delta: i64) -> Result<()>;
    /// Sets the member's unread counter.
    fn set_member_unread(&mut self, user: UserId, thread: ThreadId, value: i64) -> Result<()>;
    /// Sets the user's unread total.
    fn set_unread_total(&mut self, user: UserId, value: i64) -> Result<()>;
    /// The session's expiry time and its user's unread total, read together
    /// (one round trip: the hottest call), or `None` for an unknown token.
    /// May run outside a transaction.
    fn unread_total_by_session(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(DateTime<Utc>, i64)>>;
    /// The user's member rows: each stored unread counter beside a recount
    /// from the messages.
    fn recount_member_unread(&mut self, user: UserId) -> Result<Vec<MemberUnread>>;
    /// Up to `limit` users with ids above `after`, in id order, with their
    /// stored unread totals.
    fn unread_totals_after(&mut self, after: UserId, limit: i64) -> Result<Vec<(UserId, i64)>>;
}
