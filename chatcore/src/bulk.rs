//! Bulk loading: users, threads and messages in large transactions, for
//! importers and for generating benchmark data. See [`BulkLoad`].

use crate::accounts::{self, require_keys_free};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::messages::validate_text;
use crate::names::validate_new_user;
use crate::storage::{NewMessage, NewUserRow, Tx};
use crate::store::Store;
use crate::threads;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

pub use crate::sqlite::BULK_CACHE_KIB;

/// A user to load. The password hash, if any, is taken as given: make it
/// with [`Store::hash_password_for_import`] (or keep the argon2id PHC string
/// from another chatcore store). A user without a hash, or with a string that
/// is not a valid argon2 hash or is over the caps of
/// [`PasswordCost`](crate::PasswordCost), exists but cannot log in.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkUser<'a> {
    /// Email address; checked and unique case-insensitively, as for `register`.
    pub email: &'a str,
    /// Username; checked and unique case-insensitively, as for `register`.
    pub username: &'a str,
    /// Optional first name, at most 150 characters.
    pub first_name: &'a str,
    /// Optional last name, at most 150 characters.
    pub last_name: &'a str,
    /// An argon2id PHC string, or `None` for an account that cannot log in.
    pub password_hash: Option<&'a str>,
    /// When the user registered; `None` for now.
    pub created_at: Option<DateTime<Utc>>,
}

/// A message to load into an existing thread (loaded earlier or in the same
/// transaction).
#[derive(Debug, Clone, Copy)]
pub struct BulkMessage<'a> {
    /// The thread; must exist.
    pub thread_id: ThreadId,
    /// The sender; must be one of the thread's participants.
    pub sender_id: UserId,
    /// The text; non-empty after trimming and within the store's limit.
    pub text: &'a str,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When the recipient read it; `None` leaves it unread (counted in the
    /// recipient's unread counts). Must not be before `created_at`.
    pub read_at: Option<DateTime<Utc>>,
}

/// What one [`Store::bulk_load`] call wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkStats {
    /// Users inserted.
    pub users: u64,
    /// Threads inserted (existing pairs returned by `add_thread` not counted).
    pub threads: u64,
    /// Messages inserted.
    pub messages: u64,
    /// Threads whose counters were updated when the transaction closed.
    pub threads_touched: u64,
}

/// The loader handed to the closure of [`Store::bulk_load`], which runs in
/// one `BEGIN IMMEDIATE` transaction.
///
/// Every row is checked by the same rules as the
/// one-at-a-time API (valid email and username, two distinct existing
/// participants, the sender a participant, a non-empty text within the limit),
/// but the counters a send moves (`threads.last_activity_at` and
/// `last_message_id`, both members' activity, `members.unread`,
/// `members.last_read_id`, `users.unread_total`) are gathered in memory and
/// written once per thread and once per user when the closure returns, so
/// [`Store::verify_unread`] finds nothing to repair afterwards.
///
/// The transaction is all or nothing: if the closure (or any row) fails,
/// nothing it wrote is kept. Call `bulk_load` once per chunk of roughly
/// 100,000 messages; the page cache is raised for the duration of each call
/// and set back before it returns (PERF-NOTES lesson 6), so the store's
/// connections keep the small default cache for reads.
///
/// ```
/// use chatcore::{BulkMessage, BulkUser, Config, MessageQuery, Store};
/// use chrono::Utc;
///
/// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
/// let hash = store.hash_password_for_import("correct horse")?;
/// let ((ann, thread), stats) = store.bulk_load(|bulk| {
///     let ann = bulk.add_user(&BulkUser { email: "ann@example.com", username: "ann", password_hash: Some(&hash), ..Default::default() })?;
///     let bob = bulk.add_user(&BulkUser { email: "bob@example.com", username: "bob", ..Default::default() })?;
///     let (thread, _) = bulk.add_thread([ann, bob], Utc::now())?;
///     for n in 0..3 {
///         bulk.add_message(&BulkMessage { thread_id: thread, sender_id: bob, text: &format!("hi {n}"), created_at: Utc::now(), read_at: None })?;
///     }
///     Ok((ann, thread))
/// })?;
/// assert_eq!(stats.messages, 3);
/// assert!(store.verify_unread()?.mismatches.is_empty());
///
/// let session = store.login("ann@example.com", "correct horse")?;
/// assert_eq!(session.user_id(), ann);
/// assert_eq!(session.unread_count()?, 3);
/// assert_eq!(session.list_messages(thread, &MessageQuery::default())?.items.len(), 3);
/// # Ok::<(), chatcore::Error>(())
/// ```
pub struct BulkLoad<'c> {
    tx: &'c mut dyn Tx,
    max_text_bytes: usize,
    now: DateTime<Utc>,
    threads: HashMap<ThreadId, Touched>,
    stats: BulkStats,
}

/// What this transaction did to one thread, applied once at the end.
struct Touched {
    participants: [UserId; 2],
    last_activity: DateTime<Utc>,
    /// The newest message loaded in this transaction.
    last_message: Option<MessageId>,
    /// Per participant (same order as `participants`), as reader.
    readers: [ReaderDelta; 2],
}

#[derive(Default, Clone, Copy)]
struct ReaderDelta {
    /// Unread messages from the other participant added.
    unread: i64,
    /// The first of them, which `last_read_id` must stay below.
    first_unread: Option<MessageId>,
}

impl Store {
    /// Runs `load` in one `BEGIN IMMEDIATE` transaction with a raised page
    /// cache, then writes the counters of every thread and user it touched
    /// and commits. Returns what `load` returned and what was written.
    ///
    /// If `load` returns an error, or a row breaks a rule, the transaction
    /// rolls back and nothing is kept. See [`BulkLoad`].
    ///
    /// # Errors
    /// The first error of `load` (typically one of [`BulkLoad`]'s), a storage
    /// error, or [`Error::Busy`].
    pub fn bulk_load<T>(
        &self,
        load: impl FnOnce(&mut BulkLoad<'_>) -> Result<T>,
    ) -> Result<(T, BulkStats)> {
        let max_text_bytes = self.config().max_text_bytes;
        let now = self.now();
        self.write_once(|tx| {
            tx.set_bulk_mode(true)?;
            let outcome = (|| -> Result<(T, BulkStats)> {
                let mut bulk = BulkLoad {
                    tx: &mut *tx,
                    max_text_bytes,
                    now,
                    threads: HashMap::new(),
                    stats: BulkStats::default(),
                };
                let value = load(&mut bulk)?;
                let stats = bulk.finish()?;
                // Like an import: one feed entry per user, none per message.
                crate::feed::on_import(tx, now)?;
                Ok((value, stats))
            })();
            // Set back even on failure: the connection returns to the pool.
            let restored = tx.set_bulk_mode(false);
            let outcome = outcome?;
            restored?;
            Ok(outcome)
        })
    }

    /// Hashes a password as `register` would (same checks, the store's
    /// configured argon2id cost), for [`BulkUser::password_hash`]. Slow on
    /// purpose; hash before calling [`Store::bulk_load`], not inside it, so
    /// the write lock is not held while hashing.
    ///
    /// # Errors
    /// [`Error::WeakPassword`], or [`Error::Internal`] if hashing fails.
    pub fn hash_password_for_import(&self, password: &str) -> Result<String> {
        accounts::validate_password(password)?;
        self.hashing().hash(password)
    }
}

impl<'c> BulkLoad<'c> {
    /// Inserts a user and returns its id.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`], [`Error::InvalidUsername`],
    /// [`Error::InvalidArgument`] (a name too long), [`Error::EmailTaken`],
    /// [`Error::UsernameTaken`], or a storage error.
    pub fn add_user(&mut self, user: &BulkUser<'_>) -> Result<UserId> {
        let valid = validate_new_user(
            user.email,
            user.username,
            None,
            user.first_name,
            user.last_name,
        )?;
        require_keys_free(self.tx, &valid.email_key, &valid.username_key)?;
        let id = self.tx.insert_user(&NewUserRow {
            id: None,
            email: &valid.email,
            email_key: &valid.email_key,
            username: &valid.username,
            username_key: &valid.username_key,
            first_name: &valid.first_name,
            last_name: &valid.last_name,
            password_hash: user.password_hash,
            created_at: user.created_at.unwrap_or(self.now),
        })?;
        self.stats.users += 1;
        Ok(id)
    }

    /// Returns the thread between the two participants, creating it (with
    /// `created_at` as creation and activity time) if there is none; the
    /// flag tells whether it was created.
    ///
    /// # Errors
    /// [`Error::DuplicateParticipant`], [`Error::UserNotFound`], or a storage error.
    pub fn add_thread(
        &mut self,
        participants: [UserId; 2],
        created_at: DateTime<Utc>,
    ) -> Result<(ThreadId, bool)> {
        let (low, high) = threads::ordered_pair(&participants)?;
        let (thread, created) = threads::create_or_get(self.tx, (low, high), created_at)?;
        if !created {
            return Ok((thread.id, false));
        }
        self.threads
            .insert(thread.id, Touched::new([low, high], created_at));
        self.stats.threads += 1;
        Ok((thread.id, true))
    }

    /// Inserts a message and returns its id. The thread's and the
    /// participants' counters are brought up to date when the transaction
    /// closes, not here.
    ///
    /// # Errors
    /// [`Error::InvalidText`], [`Error::InvalidArgument`] (read before sent),
    /// [`Error::ThreadNotFound`], [`Error::NotParticipant`] (the sender is
    /// not in the thread), or a storage error.
    pub fn add_message(&mut self, message: &BulkMessage<'_>) -> Result<MessageId> {
        validate_text(message.text, self.max_text_bytes)?;
        // Compared at the store's precision, milliseconds.
        if message
            .read_at
            .is_some_and(|read| read.timestamp_millis() < message.created_at.timestamp_millis())
        {
            return Err(Error::InvalidArgument(
                "a message cannot be read before it was sent".to_string(),
            ));
        }
        let touched = match self.threads.entry(message.thread_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let thread = threads::existing(self.tx, message.thread_id)?;
                entry.insert(Touched::new(thread.participants, thread.last_activity_at))
            }
        };
        let other = threads::other_of(touched.participants, message.sender_id)?;
        let recipient = usize::from(other == touched.participants[1]);
        let id = self.tx.insert_message(&NewMessage {
            id: None,
            thread_id: message.thread_id,
            sender_id: message.sender_id,
            text: message.text,
            created_at: message.created_at,
            read_at: message.read_at,
            client_key: None,
        })?;
        touched.last_activity = touched.last_activity.max(message.created_at);
        touched.last_message = Some(id);
        if message.read_at.is_none() {
            let reader = &mut touched.readers[recipient];
            reader.unread += 1;
            reader.first_unread.get_or_insert(id);
        }
        self.stats.messages += 1;
        Ok(id)
    }

    /// Writes the gathered counters: per thread its activity and last
    /// message, per member its activity, unread count and read mark, per
    /// user the unread total (the same accounting as a send, once per
    /// thread instead of once per message).
    fn finish(self) -> Result<BulkStats> {
        let mut stats = self.stats;
        let mut totals: HashMap<UserId, i64> = HashMap::new();
        for (&thread_id, touched) in &self.threads {
            let Some(last_message) = touched.last_message else {
                continue;
            };
            stats.threads_touched += 1;
            self.tx
                .set_thread_activity(thread_id, touched.last_activity, last_message)?;
            for (&reader, delta) in touched.participants.iter().zip(touched.readers) {
                // A member with no unread backlog before this load has read
                // everything up to the thread's newest message, so its read
                // mark may move up to just below the first message this load
                // left unread for it.
                let (unread_before, read_mark) = self.tx.member_read_state(reader, thread_id)?;
                self.tx.set_member_activity(
                    reader,
                    thread_id,
                    touched.last_activity,
                    delta.unread,
                )?;
                if unread_before == 0 {
                    let mark = delta
                        .first_unread
                        .map_or(last_message, |first| MessageId(first.0 - 1));
                    if mark > read_mark {
                        self.tx.set_last_read_id(reader, thread_id, mark)?;
                    }
                }
                if delta.unread > 0 {
                    *totals.entry(reader).or_default() += delta.unread;
                }
            }
        }
        for (user, added) in totals {
            self.tx.add_unread_total(user, added)?;
        }
        Ok(stats)
    }
}

impl Touched {
    fn new(participants: [UserId; 2], last_activity: DateTime<Utc>) -> Touched {
        Touched {
            participants,
            last_activity,
            last_message: None,
            readers: [ReaderDelta::default(); 2],
        }
    }
}
