//! The store: its settings, clock and password hashing, and the
//! transactions every operation runs in, through the storage backend
//! (`sqlite::Backend`, the one there is; see `storage` for the seam).

use crate::config::Config;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::storage::{Backend, Mode, Tx};
use chrono::{DateTime, Utc};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A chat store over one SQLite file: cheap to clone, `Send + Sync`, and
/// usable from many threads at once (each call borrows a pooled connection).
///
/// ```
/// use chatcore::{Config, NewUser, Store};
///
/// let store = Store::open_in_memory_with(Config::insecure_fast_for_tests())?;
/// store.register(&NewUser { email: "ann@example.com", username: "ann", password: "correct horse", ..Default::default() })?;
/// let session = store.login("ann@example.com", "correct horse")?;
/// assert_eq!(session.me()?.username, "ann");
/// # Ok::<(), chatcore::Error>(())
/// ```
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The database and its connections.
    backend: Box<dyn Backend>,
    config: Config,
    /// Password hashing at the configured cost, with its one reusable buffer.
    hashing: crate::password::Hashing,
    /// Wakes the change feed's waiters after commits.
    waits: Arc<crate::waits::Waits>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `location` with the default [`Config`]:
    /// an SQLite file (created if needed, readable by its owner only), or a
    /// PostgreSQL database named by a `postgres://` / `postgresql://` URL or
    /// a key-value string (`host=… dbname=…`); [`Location::parse`] decides
    /// which. A PostgreSQL store lives in the first schema of the
    /// connection's `search_path` (`?options=-csearch_path%3Dchat`), created
    /// by the first open of an empty schema.
    ///
    /// # Errors
    /// [`Error::SchemaTooNew`] for a store written by a newer chatcore (left
    /// untouched); [`Error::Storage`] for a file that cannot be opened or is
    /// not a chatcore database, or a server that cannot be reached;
    /// [`Error::Busy`] if another process holds the write lock past the busy
    /// timeout while the schema is created.
    pub fn open(location: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(location, Config::default())
    }

    /// Opens the store at `location` with the given settings.
    ///
    /// # Errors
    /// As [`Store::open`], plus [`Error::InvalidArgument`] for unusable
    /// settings, an empty path, `":memory:"`, or a connection string that
    /// cannot be read.
    pub fn open_with(location: impl AsRef<Path>, config: Config) -> Result<Store> {
        match Location::parse(location) {
            Location::File(path) => {
                crate::sqlite::Backend::prepare_file(&path)?;
                Store::start(Some(path), config)
            }
            Location::Postgres(url) => {
                let hashing = crate::password::Hashing::new(config.password_cost)?;
                let backend = Box::new(crate::postgres::Backend::open(&url, &config)?);
                Ok(Store::with_backend(backend, config, hashing))
            }
        }
    }

    /// A private store in memory, gone when the last clone is dropped.
    ///
    /// # Errors
    /// [`Error::Storage`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Store> {
        Store::open_in_memory_with(Config::default())
    }

    /// A private store in memory with the given settings.
    ///
    /// # Errors
    /// As [`Store::open_in_memory`], plus [`Error::InvalidArgument`] for unusable settings.
    pub fn open_in_memory_with(config: Config) -> Result<Store> {
        Store::start(None, config)
    }

    fn start(path: Option<PathBuf>, config: Config) -> Result<Store> {
        let hashing = crate::password::Hashing::new(config.password_cost)?;
        let backend = Box::new(crate::sqlite::Backend::open(path, &config)?);
        Ok(Store::with_backend(backend, config, hashing))
    }

    fn with_backend(
        backend: Box<dyn Backend>,
        config: Config,
        hashing: crate::password::Hashing,
    ) -> Store {
        Store {
            inner: Arc::new(Inner {
                backend,
                config,
                hashing,
                waits: Arc::default(),
            }),
        }
    }

    /// The path of the database file, or `None` for an in-memory or
    /// PostgreSQL store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.backend.path()
    }

    /// Whether the store's file is encrypted (it was opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.inner.backend.key().is_some()
    }

    /// Whether the file is open read-only (the file or its folder is not
    /// writable): reads work, every write fails with [`Error::Storage`].
    pub fn is_read_only(&self) -> bool {
        self.inner.backend.is_read_only()
    }

    /// Runs a WAL checkpoint now: copies what it can from the WAL into the
    /// database file without waiting for, or blocking, readers and writers
    /// (SQLite's `PASSIVE` mode). Never needed for correctness; with
    /// [`Checkpoints::Inline`](crate::Checkpoints::Inline) a host may call it when idle, so that fewer
    /// commits run one themselves. Does nothing for an in-memory or
    /// read-only store.
    ///
    /// # Errors
    /// [`Error::Busy`] if another process is checkpointing this file at that
    /// moment; [`Error::Storage`] if the checkpoint fails (e.g. an I/O error).
    pub fn checkpoint(&self) -> Result<()> {
        self.inner.backend.checkpoint()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn hashing(&self) -> &crate::password::Hashing {
        &self.inner.hashing
    }

    /// The current time from the configured clock, truncated to the
    /// millisecond precision times are stored with, so that what a call
    /// returns equals what a later read returns.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let now = self.inner.config.clock.now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }

    /// The feed's wake-up signal.
    pub(crate) fn waits(&self) -> &crate::waits::Waits {
        &self.inner.waits
    }

    /// Makes sure commits of other processes wake this store's waiters
    /// (the backend's watcher, started once).
    pub(crate) fn watch_other_processes(&self) -> Result<()> {
        let waits = Arc::clone(&self.inner.waits);
        self.inner
            .backend
            .watch_other_processes(Arc::new(move || waits.bump()))
    }

    /// Runs `work` through the backend in `mode`; `None` only when a
    /// [`Mode::WriteIfFree`] did not run it.
    /// `work` may run more than once: a backend runs it again, in a new
    /// transaction, when the first was aborted only because of concurrent
    /// ones (PostgreSQL's serialization failures and deadlocks).
    fn run<T>(
        &self,
        mode: Mode,
        mut work: impl FnMut(&mut dyn Tx) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut value = None;
        let ran = self.inner.backend.run(mode, &mut |tx| {
            value = Some(work(tx)?);
            Ok(())
        })?;
        if ran && matches!(mode, Mode::Write | Mode::WriteIfFree) {
            // Committed: the feed's waiters look again.
            self.inner.waits.bump();
        }
        match (ran, value) {
            (false, _) => Ok(None),
            (true, Some(value)) => Ok(Some(value)),
            (true, None) => Err(Error::Internal(
                "the backend reported work it did not run".to_string(),
            )),
        }
    }

    /// Like [`Store::run`] for the modes that always run the work.
    fn run_always<T>(&self, mode: Mode, work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run(mode, work)?
            .ok_or_else(|| Error::Internal(format!("{mode:?} work did not run")))
    }

    /// Runs `work` in a read transaction: one consistent snapshot, no lock
    /// that blocks writers.
    pub(crate) fn read<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run_always(Mode::Read, work)
    }

    /// Runs one statement's `work` outside any explicit transaction (a
    /// single statement is its own consistent snapshot): for the hottest
    /// reads, where BEGIN and COMMIT would cost more than the query.
    pub(crate) fn read_one<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run_always(Mode::ReadOne, work)
    }

    /// Runs read `work` made of one fused storage call
    /// ([`FusedStorage`](crate::storage::FusedStorage)) and what it needs
    /// only when that call found something unusual: outside any transaction
    /// where the backend answers a fused read in one statement (its own
    /// snapshot), else in a read transaction as [`Store::read`]. Work that
    /// needs a snapshot across several statements does not use it.
    pub(crate) fn read_fused<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mode = match self.inner.backend.fused_reads_are_one_statement() {
            true => Mode::ReadOne,
            false => Mode::Read,
        };
        self.run_always(mode, work)
    }

    /// The backend, for its own tests.
    #[cfg(test)]
    pub(crate) fn backend(&self) -> &dyn Backend {
        &*self.inner.backend
    }

    /// Runs `work` in a write transaction that takes the write lock first
    /// (SQLite's `BEGIN IMMEDIATE`) and commits if it returns `Ok`; on `Err`
    /// (or a panic) the transaction rolls back and nothing it wrote is kept.
    pub(crate) fn write<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run_always(Mode::Write, work)
    }

    /// Like [`Store::write`] for work that cannot run twice (it consumes a
    /// stream): if the backend would run it again after a transaction
    /// aborted by concurrent ones, the call fails with [`Error::Busy`]
    /// instead (nothing was kept; the caller may try again).
    pub(crate) fn write_once<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.write_or_roll_back_once(true, work)
    }

    /// [`Store::write_or_roll_back`] for work that cannot run twice (see
    /// [`Store::write_once`]).
    pub(crate) fn write_or_roll_back_once<T>(
        &self,
        commit: bool,
        work: impl FnOnce(&mut dyn Tx) -> Result<T>,
    ) -> Result<T> {
        let mut work = Some(work);
        self.write_or_roll_back(commit, |tx| match work.take() {
            Some(work) => work(tx),
            None => Err(Error::Busy),
        })
    }

    /// Like [`Store::write`], but never waits for the write lock: `Ok(None)`
    /// if another connection holds it (or the file is read-only), without
    /// running `work`. For bookkeeping a read may do when it can.
    pub(crate) fn write_if_free<T>(
        &self,
        work: impl FnMut(&mut dyn Tx) -> Result<T>,
    ) -> Result<Option<T>> {
        self.run(Mode::WriteIfFree, work)
    }

    /// Like [`Store::write`], but rolls back instead of committing when
    /// `commit` is false (a dry run sees everything the real run would).
    pub(crate) fn write_or_roll_back<T>(
        &self,
        commit: bool,
        work: impl FnMut(&mut dyn Tx) -> Result<T>,
    ) -> Result<T> {
        let mode = match commit {
            true => Mode::Write,
            false => Mode::DryRun,
        };
        self.run_always(mode, work)
    }

    /// Writes a consistent copy of the whole store to `destination`, a new
    /// file (mode 0600), while other connections and processes go on
    /// reading and writing; an encrypted store's copy is encrypted with the
    /// same key. The copy is made from one snapshot (SQLite's `VACUUM INTO`,
    /// or SQLCipher's `sqlcipher_export` in one read transaction for an
    /// encrypted store), so it is complete as of one instant; it is written
    /// beside `destination`, checked by opening it (`PRAGMA quick_check`),
    /// and moved into place only then, never over anything there (see
    /// [`crate::files`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `destination` exists (even as an empty
    /// file, or if it appeared during the backup); [`Error::Storage`] if it
    /// cannot be written.
    pub fn backup(&self, destination: impl AsRef<Path>) -> Result<()> {
        let key = self.inner.backend.key();
        self.backup_with_key(destination, key.as_ref())
    }

    /// Like [`Store::backup`], but the copy is encrypted with `key`, or a
    /// plain SQLite file with `None`, whatever this store is: how a plain
    /// store becomes an encrypted one (and back). Open the copy with the
    /// same `key` in [`Config::key`](crate::Config::key).
    ///
    /// ```
    /// use chatcore::{Config, DatabaseKey, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("chatcore-doc-enc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// # let _ = std::fs::remove_file(dir.join("secret.db"));
    /// let plain = Store::open_with(dir.join("plain.db"), Config::insecure_fast_for_tests())?;
    /// let key = DatabaseKey::Raw([9; 32]);
    /// plain.backup_with_key(dir.join("secret.db"), Some(&key))?;
    /// let secret = Store::open_with(dir.join("secret.db"), Config::insecure_fast_for_tests().key(key))?;
    /// # drop((plain, secret));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chatcore::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Store::backup`], plus [`Error::InvalidArgument`] for an unusable
    /// key (see [`DatabaseKey::passphrase`](crate::DatabaseKey::passphrase)).
    pub fn backup_with_key(
        &self,
        destination: impl AsRef<Path>,
        key: Option<&crate::DatabaseKey>,
    ) -> Result<()> {
        if let Some(key) = key {
            key.check()?;
        }
        crate::files::write_new_file_with(destination.as_ref(), |temp_path, _| {
            self.inner.backend.backup_into(temp_path, key)
        })
    }

    /// Changes the key of an encrypted store's file to `new_key`, while the
    /// store stays open. One transaction rewrites every page (the WAL grows
    /// to the size of the database until the next checkpoint): a crash at
    /// any point leaves a file that opens with the old key or the new one.
    /// Calls running in this process wait for it; **other processes** that
    /// have the file open keep the old key and fail (`wrong_key` on their
    /// next open, `storage` on a running store) until they reopen with the new one.
    ///
    /// A plain store cannot be given a key this way, nor can an encrypted
    /// one be made plain: use [`Store::backup_with_key`] for those.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a store without a key (plain or in
    /// memory) or an unusable key; [`Error::Busy`] if another connection
    /// holds the write lock past the busy timeout; [`Error::Storage`] if it
    /// cannot be written (the old key then stays).
    pub fn rekey(&self, new_key: &crate::DatabaseKey) -> Result<()> {
        self.inner.backend.rekey(new_key)
    }
}
