//! Opening the database file, the connection pool, and transactions.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::schema;
use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

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
    config: Config,
    /// `None` for an in-memory store, which has exactly one connection.
    path: Option<PathBuf>,
    max_connections: usize,
    pool: Mutex<Pool>,
    returned: Condvar,
    /// A hash verified when a login names an unknown email, so that it costs
    /// the same as a wrong password. Made on first need.
    pub(crate) dummy_hash: OnceLock<String>,
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
        crate::password::check_cost(config.password_cost)?;
        let inner = Inner {
            config,
            path,
            max_connections,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            dummy_hash: OnceLock::new(),
        };
        let mut first = inner.connect()?;
        schema::migrate(&mut first)?;
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

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn dummy_hash(&self) -> &OnceLock<String> {
        &self.inner.dummy_hash
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
    pub(crate) fn read<T>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.checkout()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs one statement's `work` on a pooled connection outside any
    /// explicit transaction (a single statement is its own consistent
    /// snapshot): for the hottest reads, where BEGIN and COMMIT would cost
    /// more than the query.
    pub(crate) fn read_one<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.checkout()?;
        work(&conn)
    }

    /// Runs `work` in a `BEGIN IMMEDIATE` transaction and commits if it
    /// returns `Ok`; on `Err` (or a panic) the transaction rolls back and
    /// nothing it wrote is kept.
    pub(crate) fn write<T>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_or_roll_back(true, work)
    }

    /// Like [`Store::write`], but rolls back instead of committing when
    /// `commit` is false (a dry run sees everything the real run would).
    pub(crate) fn write_or_roll_back<T>(
        &self,
        commit: bool,
        work: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.checkout()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            match commit {
                true => tx.commit()?,
                false => tx.rollback()?,
            }
            Ok(value)
        })();
        result.map_err(|err| crate::ids::explain_used_up_ids(&conn, err))
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
        let conn = match &self.path {
            Some(path) => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
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
        let synchronous = match self.config.durability {
            crate::Durability::Normal => "NORMAL",
            crate::Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        Ok(conn)
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

/// Milliseconds since the Unix epoch, the form every time is stored in.
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The inverse of [`to_millis`]; a value out of chrono's range can only come
/// from a damaged file.
pub(crate) fn from_millis(millis: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, millis))
}
