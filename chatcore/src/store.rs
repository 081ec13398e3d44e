//! Opening the database file, the connection pool, and transactions.

use crate::checkpoint::{self, Checkpointer, Checkpoints};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::sqlite::SqliteTx;
use crate::sqlite::schema;
use crate::storage::Tx;
use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Connections kept per file store. SQLite allows one writer at a time;
/// more connections serve concurrent readers (WAL lets them run beside the
/// writer) and let writers queue on SQLite's busy handler.
const MAX_FILE_CONNECTIONS: usize = 8;

/// Prepared statements kept per connection; comfortably more than the
/// library has hot statements.
const STATEMENT_CACHE_CAPACITY: usize = 64;

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
    /// The background checkpointer, if one runs: stopped (and joined) first
    /// when the last handle drops, before the pool's connections close.
    checkpointer: Option<Checkpointer>,
    /// The file could only be opened read-only (file or folder not
    /// writable): reads work, writes fail, and nothing is checkpointed.
    read_only: bool,
    config: Config,
    /// `None` for an in-memory store, which has exactly one connection.
    path: Option<PathBuf>,
    max_connections: usize,
    pool: Mutex<Pool>,
    returned: Condvar,
    /// Password hashing at the configured cost, with its one reusable buffer.
    hashing: crate::password::Hashing,
}

struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed, readable by its owner only) the store at
    /// `path` with the default [`Config`].
    ///
    /// # Errors
    /// [`Error::SchemaTooNew`] for a file written by a newer chatcore (left
    /// untouched); [`Error::Storage`] for a file that cannot be opened or is
    /// not a chatcore database; [`Error::Busy`] if another process holds the
    /// write lock past the busy timeout while the schema is created.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, Config::default())
    }

    /// Opens the store at `path` with the given settings.
    ///
    /// # Errors
    /// As [`Store::open`], plus [`Error::InvalidArgument`] for unusable
    /// settings, an empty path, or `":memory:"`.
    pub fn open_with(path: impl AsRef<Path>, config: Config) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        // SQLite reads this name as "a new private database per connection",
        // which a pool of connections cannot share.
        if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{path:?} is not a file path; use Store::open_in_memory for a store in memory"
            )));
        }
        create_private_file(&path)?;
        Store::start(Some(path), config, MAX_FILE_CONNECTIONS)
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
        Store::start(None, config, 1)
    }

    fn start(path: Option<PathBuf>, config: Config, max_connections: usize) -> Result<Store> {
        let hashing = crate::password::Hashing::new(config.password_cost)?;
        let mut inner = Inner {
            hashing,
            checkpointer: None,
            read_only: false,
            config,
            path,
            max_connections,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        let mut first = inner.connect()?;
        schema::migrate(&mut first)?;
        inner.read_only = first.is_readonly(rusqlite::MAIN_DB)?;
        if inner.path.is_some()
            && !inner.read_only
            && inner.config.checkpoints == Checkpoints::Background
        {
            // Without a thread (the system refused one), checkpoints stay inline.
            let conn = inner.open_file()?;
            conn.pragma_update(None, "synchronous", inner.synchronous())?;
            inner.checkpointer = Checkpointer::start(conn);
            if let Some(checkpointer) = &inner.checkpointer {
                checkpointer.watch(&mut first)?;
            }
        }
        let store = Store {
            inner: Arc::new(inner),
        };
        let mut pool = store.inner.lock_pool();
        pool.open = 1;
        pool.idle.push(first);
        drop(pool);
        Ok(store)
    }

    /// The path of the database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Whether the file is open read-only (the file or its folder is not
    /// writable): reads work, every write fails with [`Error::Storage`].
    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// Runs a WAL checkpoint now: copies what it can from the WAL into the
    /// database file without waiting for, or blocking, readers and writers
    /// (SQLite's `PASSIVE` mode). Never needed for correctness; with
    /// [`Checkpoints::Inline`] a host may call it when idle, so that fewer
    /// commits run one themselves. Does nothing for an in-memory or
    /// read-only store.
    ///
    /// # Errors
    /// [`Error::Busy`] if another process is checkpointing this file at that
    /// moment; [`Error::Storage`] if the checkpoint fails (e.g. an I/O error).
    pub fn checkpoint(&self) -> Result<()> {
        if self.inner.path.is_none() || self.inner.read_only {
            return Ok(());
        }
        // The connection first: the thread that waits for the running
        // checkpoint in its commit holds one.
        let conn = self.checkout()?;
        let _running = self
            .inner
            .checkpointer
            .as_ref()
            .map(Checkpointer::exclusive);
        checkpoint::passive(&conn)
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

    /// Runs `work` in a read transaction: one consistent snapshot, no lock
    /// that blocks writers.
    pub(crate) fn read<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.checkout()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = work(&mut SqliteTx::new(&tx))?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs one statement's `work` on a pooled connection outside any
    /// explicit transaction (a single statement is its own consistent
    /// snapshot): for the hottest reads, where BEGIN and COMMIT would cost
    /// more than the query.
    pub(crate) fn read_one<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let conn = self.checkout()?;
        work(&mut SqliteTx::new(&conn))
    }

    /// Runs `work` on a pooled connection, for the SQLite backend's own tests.
    #[cfg(test)]
    pub(crate) fn with_connection<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let conn = self.checkout()?;
        Ok(work(&conn)?)
    }

    /// Runs `work` in a `BEGIN IMMEDIATE` transaction and commits if it
    /// returns `Ok`; on `Err` (or a panic) the transaction rolls back and
    /// nothing it wrote is kept.
    pub(crate) fn write<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.write_or_roll_back(true, work)
    }

    /// Like [`Store::write`], but never waits for the write lock: `Ok(None)`
    /// if another connection holds it (or the file is read-only), without
    /// running `work`. For bookkeeping a read may do when it can.
    pub(crate) fn write_if_free<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.inner.read_only {
            return Ok(None);
        }
        let mut conn = self.checkout()?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        let result = immediate(&mut conn, work);
        conn.busy_timeout(self.inner.config.busy_timeout)?;
        match result {
            Err(Error::Busy) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Like [`Store::write`], but rolls back instead of committing when
    /// `commit` is false (a dry run sees everything the real run would).
    pub(crate) fn write_or_roll_back<T>(
        &self,
        commit: bool,
        work: impl FnOnce(&mut dyn Tx) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.checkout()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&mut SqliteTx::new(&tx))?;
            match commit {
                true => tx.commit()?,
                false => tx.rollback()?,
            }
            Ok(value)
        })();
        result.map_err(|err| crate::sqlite::explain_used_up_ids(&conn, err))
    }

    /// Writes a consistent copy of the whole store to `destination`, a new
    /// file (mode 0600), while other connections and processes go on
    /// reading and writing. Uses SQLite's `VACUUM INTO`, which reads one
    /// snapshot, so the copy is compact and complete as of one instant; it is
    /// written beside `destination` and moved into place only when complete,
    /// never over anything there (see [`crate::files`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `destination` exists (even as an empty
    /// file, or if it appeared during the backup); [`Error::Storage`] if it
    /// cannot be written.
    pub fn backup(&self, destination: impl AsRef<Path>) -> Result<()> {
        crate::files::write_new_file_with(destination.as_ref(), |temp_path, _| {
            let Some(target) = temp_path.to_str() else {
                return Err(Error::InvalidArgument(format!(
                    "the backup path {} is not valid UTF-8",
                    temp_path.display()
                )));
            };
            let conn = self.checkout()?;
            conn.execute("VACUUM INTO ?1", [target])?;
            Ok(())
        })
    }

    /// Borrows a connection from the pool, opening one if the pool is below
    /// its size, else waiting for one to come back.
    fn checkout(&self) -> Result<PooledConnection<'_>> {
        let inner = &*self.inner;
        let mut pool = inner.lock_pool();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(PooledConnection {
                    inner,
                    conn: Some(conn),
                });
            }
            if pool.open < inner.max_connections {
                pool.open += 1;
                drop(pool);
                return match inner.connect() {
                    Ok(conn) => Ok(PooledConnection {
                        inner,
                        conn: Some(conn),
                    }),
                    Err(err) => {
                        inner.lock_pool().open -= 1;
                        inner.returned.notify_one();
                        Err(err)
                    }
                };
            }
            pool = inner
                .returned
                .wait(pool)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// `work` in an IMMEDIATE transaction on `conn`, committed if it succeeds.
fn immediate<T>(conn: &mut Connection, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = work(&mut SqliteTx::new(&tx))?;
    tx.commit()?;
    Ok(value)
}

impl Inner {
    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        // The pool's state stays consistent even if a holder panicked: every
        // critical section is a push, a pop or a counter change.
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens and configures one connection. Nothing here writes to the file
    /// before the schema version has been checked, so a file from a newer
    /// chatcore is left byte-for-byte untouched.
    fn connect(&self) -> Result<Connection> {
        let mut conn = match &self.path {
            Some(_) => self.open_file()?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(self.config.busy_timeout)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Without this, SQLite re-plans the cached paging statements on every
        // call whose LIMIT or key binding changed (see PERF-NOTES).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        if schema::check_not_newer(&conn)? == 0 {
            schema::refuse_foreign_database(&conn)?;
        }
        if self.path.is_some() {
            let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                conn.pragma_update(None, "journal_mode", "wal")?;
            }
        }
        conn.pragma_update(None, "synchronous", self.synchronous())?;
        if self.path.is_some() {
            conn.pragma_update(
                None,
                "journal_size_limit",
                checkpoint::JOURNAL_SIZE_LIMIT_BYTES,
            )?;
        }
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.watch(&mut conn)?;
        }
        Ok(conn)
    }

    /// `PRAGMA synchronous` for the configured durability. It also decides
    /// whether checkpoints `fsync` (they do in both).
    fn synchronous(&self) -> &'static str {
        match self.config.durability {
            crate::Durability::Normal => "NORMAL",
            crate::Durability::Full => "FULL",
        }
    }

    /// Opens the file (read-write, or read-only if it is not writable),
    /// without configuring the connection.
    fn open_file(&self) -> Result<Connection> {
        let Some(path) = &self.path else {
            return Err(Error::Internal("open_file on an in-memory store".into()));
        };
        crate::open::open_file(path)
    }
}

/// A connection borrowed from the pool; goes back when dropped.
struct PooledConnection<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl Deref for PooledConnection<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Only `Drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for PooledConnection<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut pool = self.inner.lock_pool();
            if conn.is_autocommit() {
                pool.idle.push(conn);
            } else {
                // A transaction left open can only follow a failed rollback;
                // close this connection rather than lend out its state.
                pool.open -= 1;
            }
            drop(pool);
            self.inner.returned.notify_one();
        }
    }
}

/// Creates a missing database file with mode 0600 before SQLite opens it,
/// so the file (and the WAL files SQLite derives from its mode) are private.
fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(Error::Storage {
            message: format!("cannot create the database file {}: {err}", path.display()),
            source: Some(Box::new(err)),
        }),
    }
}
