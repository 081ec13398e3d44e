//! The SQLite backend's connections: opening the file (pragmas, the schema
//! check, WAL and its checkpointer), the pool, and the transactions the
//! [`Store`](crate::Store) runs its work in.

use super::SqliteTx;
use super::checkpoint::{self, Checkpointer, Checkpoints};
use super::keyspec::{ConnectionKey, StoreKey};
use super::schema;
use crate::config::{Config, Durability};
use crate::error::{Error, Result};
use crate::key::DatabaseKey;
use crate::storage::{Mode, Tx};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};
use std::time::Duration;

mod keys;

/// Connections kept per file store. SQLite allows one writer at a time;
/// more connections serve concurrent readers (WAL lets them run beside the
/// writer) and let writers queue on SQLite's busy handler.
const MAX_FILE_CONNECTIONS: usize = 8;

/// Prepared statements kept per connection; comfortably more than the
/// library has hot statements.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// One SQLite database (a file, or a private one in memory) and its pool.
pub(crate) struct Backend {
    /// The watcher of other processes' commits, once a wait started it:
    /// stopped (and joined) first.
    watcher: Mutex<Option<super::watch::Watcher>>,
    /// The background checkpointer, if one runs: stopped (and joined) first
    /// when the backend drops, before the pool's connections close.
    checkpointer: Option<Checkpointer>,
    /// The file could only be opened read-only (file or folder not
    /// writable): reads work, writes fail, and nothing is checkpointed.
    read_only: bool,
    busy_timeout: Duration,
    durability: Durability,
    /// `None` for an in-memory store, which has exactly one connection.
    path: Option<PathBuf>,
    max_connections: usize,
    /// The store's key and the text every new connection is keyed with
    /// (`None`: a plain file). Changed only by
    /// [`crate::storage::Backend::rekey`], with the pool drained.
    key: RwLock<Option<StoreKey>>,
    pool: Mutex<Pool>,
    returned: Condvar,
}

struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl Backend {
    /// Checks that `path` names a file SQLite can share between pooled
    /// connections, and creates it (mode 0600) if missing.
    pub(crate) fn prepare_file(path: &Path) -> Result<()> {
        // SQLite reads this name as "a new private database per connection",
        // which a pool of connections cannot share.
        if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{path:?} is not a file path; use Store::open_in_memory for a store in memory"
            )));
        }
        super::open::create_private_file(path)
    }

    /// Opens the database at `path` (prepared by [`Backend::prepare_file`]),
    /// or a private one in memory for `None`: checks and migrates the
    /// schema, and starts the checkpointer the settings ask for.
    pub(crate) fn open(path: Option<PathBuf>, config: &Config) -> Result<Backend> {
        if let Some(key) = &config.key {
            key.check()?;
        }
        // A passphrase's one key derivation of this open.
        let key = match (&config.key, &path) {
            (Some(key), Some(path)) => Some(StoreKey {
                host: key.clone(),
                connections: ConnectionKey::for_file(path, key)?,
            }),
            _ => None,
        };
        let max_connections = match path {
            Some(_) => MAX_FILE_CONNECTIONS,
            None => 1,
        };
        let mut backend = Backend {
            watcher: Mutex::new(None),
            checkpointer: None,
            read_only: false,
            busy_timeout: config.busy_timeout,
            durability: config.durability,
            path,
            max_connections,
            key: RwLock::new(key),
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        let mut first = backend.connect()?;
        schema::migrate(&mut first)?;
        backend.read_only = first.is_readonly(rusqlite::MAIN_DB)?;
        if backend.path.is_some()
            && !backend.read_only
            && config.checkpoints == Checkpoints::Background
        {
            // Without a thread (the system refused one), checkpoints stay inline.
            let conn = backend.open_file()?;
            conn.pragma_update(None, "synchronous", backend.synchronous())?;
            backend.checkpointer = Checkpointer::start(conn);
            if let Some(checkpointer) = &backend.checkpointer {
                checkpointer.watch(&mut first)?;
            }
        }
        let mut pool = backend.lock_pool();
        pool.open = 1;
        pool.idle.push(first);
        drop(pool);
        Ok(backend)
    }

    /// A passive WAL checkpoint now (see `Store::checkpoint`).
    fn passive_checkpoint(&self) -> Result<()> {
        if self.path.is_none() || self.read_only {
            return Ok(());
        }
        // The connection first: the thread that waits for the running
        // checkpoint in its commit holds one.
        let conn = self.checkout()?;
        let _running = self.checkpointer.as_ref().map(Checkpointer::exclusive);
        checkpoint::passive(&conn)
    }

    /// `work` in a deferred transaction: one consistent snapshot, no lock
    /// that blocks writers.
    fn read<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.checkout()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = work(&mut SqliteTx::new(&tx))?;
        tx.commit()?;
        Ok(value)
    }

    /// `work` on a pooled connection outside any explicit transaction (a
    /// single statement is its own consistent snapshot).
    fn read_one<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let conn = self.checkout()?;
        work(&mut SqliteTx::new(&conn))
    }

    /// `work` on a pooled connection, for the backend's own tests.
    #[cfg(test)]
    pub(crate) fn with_connection<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let conn = self.checkout()?;
        Ok(work(&conn)?)
    }

    /// `work` in a `BEGIN IMMEDIATE` transaction, never waiting for the
    /// write lock: `Ok(None)` if another connection holds it (or the file is
    /// read-only), without running `work`.
    fn write_if_free<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<Option<T>> {
        if self.read_only {
            return Ok(None);
        }
        let mut conn = self.checkout()?;
        conn.busy_timeout(Duration::ZERO)?;
        let result = immediate(&mut conn, work);
        conn.busy_timeout(self.busy_timeout)?;
        match result {
            Err(Error::Busy) => Ok(None),
            other => other.map(Some),
        }
    }

    /// `work` in a `BEGIN IMMEDIATE` transaction, committed if `commit` and
    /// `work` succeeded, else rolled back.
    fn write_or_roll_back<T>(
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
        result.map_err(|err| super::explain_used_up_ids(&conn, err))
    }

    /// Borrows a connection from the pool, opening one if the pool is below
    /// its size, else waiting for one to come back.
    fn checkout(&self) -> Result<PooledConnection<'_>> {
        let inner = self;
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

impl crate::storage::Backend for Backend {
    fn run(&self, mode: Mode, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<bool> {
        match mode {
            Mode::Read => self.read(|tx| work(tx)).map(|()| true),
            Mode::ReadOne => self.read_one(|tx| work(tx)).map(|()| true),
            Mode::Write => self.write_or_roll_back(true, |tx| work(tx)).map(|()| true),
            Mode::DryRun => self.write_or_roll_back(false, |tx| work(tx)).map(|()| true),
            Mode::WriteIfFree => self.write_if_free(|tx| work(tx)).map(|ran| ran.is_some()),
        }
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn checkpoint(&self) -> Result<()> {
        self.passive_checkpoint()
    }

    fn backup_into(&self, target: &Path, key: Option<&DatabaseKey>) -> Result<()> {
        let conn = self.checkout()?;
        if key.is_none() && self.host_key().is_none() {
            let Some(target) = target.to_str() else {
                return Err(Error::InvalidArgument(format!(
                    "the backup path {} is not valid UTF-8",
                    target.display()
                )));
            };
            conn.execute("VACUUM INTO ?1", [target])?;
            let version = schema::version(&conn)?;
            return super::open::verify_copy(Path::new(target), None, version);
        }
        let version = schema::version(&conn)?;
        super::cipher::export(&conn, target, key, version)?;
        super::open::verify_copy(target, key, version)
    }

    fn key(&self) -> Option<DatabaseKey> {
        self.host_key()
    }

    fn rekey(&self, new_key: &DatabaseKey) -> Result<()> {
        self.change_key(new_key)
    }

    fn watch_other_processes(&self, on_commit: super::watch::OnCommit) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut watcher = self
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if watcher.is_none() {
            let key = self.connection_key();
            *watcher = Some(super::watch::Watcher::start(path, key.as_ref(), on_commit)?);
        }
        Ok(())
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `work` in an IMMEDIATE transaction on `conn`, committed if it succeeds.
fn immediate<T>(conn: &mut Connection, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = work(&mut SqliteTx::new(&tx))?;
    tx.commit()?;
    Ok(value)
}

impl Backend {
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
        conn.busy_timeout(self.busy_timeout)?;
        // Temporary tables and indexes (sorts, `VACUUM INTO`) stay in
        // memory: a temporary file would hold plaintext pages.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // A withdrawn or edited message's old text is zeroed where it lay,
        // not left in free space (`Session::delete_message`).
        conn.pragma_update(None, "secure_delete", true)?;
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
        match self.durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }

    /// Opens the file (read-write, or read-only if it is not writable),
    /// without configuring the connection.
    fn open_file(&self) -> Result<Connection> {
        let Some(path) = &self.path else {
            return Err(Error::Internal("open_file on an in-memory store".into()));
        };
        super::open::open_file(path, self.connection_key().as_ref())
    }
}

/// A connection borrowed from the pool; goes back when dropped.
struct PooledConnection<'a> {
    inner: &'a Backend,
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
