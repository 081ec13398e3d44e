//! The store's key on the pool's connections: reading it, and changing it
//! (`PRAGMA rekey`) with every other connection drained first.

use super::Backend;
use crate::error::{Error, Result};
use crate::key::DatabaseKey;
use crate::sqlite::keyspec::{ConnectionKey, StoreKey};
use crate::sqlite::{cipher, open};

impl Backend {
    pub(super) fn lock_key(&self) -> std::sync::RwLockReadGuard<'_, Option<StoreKey>> {
        self.key
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store's key as the host gave it.
    pub(super) fn host_key(&self) -> Option<DatabaseKey> {
        self.lock_key().as_ref().map(|key| key.host.clone())
    }

    /// The text new connections are keyed with.
    pub(super) fn connection_key(&self) -> Option<ConnectionKey> {
        self.lock_key().as_ref().map(|key| key.connections.clone())
    }

    /// `PRAGMA rekey` on the only connection of this store, every other
    /// pooled one returned and closed first (they hold the old key), then
    /// checked with a new connection: SQLCipher does not report a commit
    /// that failed. The background checkpointer keeps its connection: a
    /// checkpoint copies WAL frames as they are, without decrypting them.
    /// A new passphrase is derived once, with the file's salt (which a
    /// rekey keeps), before the pool is drained.
    pub(super) fn change_key(&self, new_key: &DatabaseKey) -> Result<()> {
        new_key.check()?;
        let Some(path) = self.path.as_deref() else {
            return Err(Error::InvalidArgument(
                "an in-memory store is never written to disk and has no key".into(),
            ));
        };
        let Some(old_key) = self.connection_key() else {
            return Err(Error::InvalidArgument(
                "the store is not encrypted, so it has no key to change; make an encrypted \
                 copy with backup and open that"
                    .into(),
            ));
        };
        if self.read_only {
            return Err(Error::storage(
                "the database file is read-only, so its key cannot be changed",
            ));
        }
        let salt = cipher::salt(&*self.checkout()?)?;
        let new_connection_key = ConnectionKey::with_salt(new_key, &salt)?;
        let mut pool = self.lock_pool();
        // No new connection is lent out while the lock is held; wait for
        // the ones lent out to come back.
        while pool.idle.len() < pool.open {
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let conn = match pool.idle.pop() {
            Some(conn) => conn,
            None => self.open_file()?,
        };
        let rekeyed = cipher::rekey(&conn, &new_connection_key);
        drop(conn);
        pool.idle.clear();
        pool.open = 0;
        rekeyed?;
        match open::open_file(path, Some(&new_connection_key)) {
            Ok(_) => {
                *self
                    .key
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(StoreKey {
                    host: new_key.clone(),
                    connections: new_connection_key,
                });
                Ok(())
            }
            Err(Error::WrongKey(_)) => {
                open::open_file(path, Some(&old_key))?;
                Err(Error::storage(
                    "the new key could not be committed (the disk may be full or the file \
                     locked); the store keeps its old key",
                ))
            }
            Err(other) => Err(other),
        }
    }
}
