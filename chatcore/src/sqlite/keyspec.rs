//! One key derivation per open: the key text every connection of an
//! encrypted store is keyed with ([`ConnectionKey`]).
//!
//! SQLCipher derives a passphrase's key (PBKDF2-HMAC-SHA512, 256,000
//! iterations, with the 16-byte salt at the start of the file) in every
//! connection keyed with the passphrase, and a store has several: its first
//! one, the background checkpointer's, each pooled reader, the change
//! watcher's. An open paid two derivations, and each new reader one more.
//! SQLCipher has no call that hands one connection's derived key to
//! another, but it documents a key form that skips the derivation: the key
//! and the salt in hex, `x'<64 hex digits><32 hex digits>'` ("raw key data
//! with an explicit salt"). So a store opened with a passphrase derives the
//! key once, exactly as SQLCipher does (the same function and parameters,
//! which a test checks against SQLCipher's own defaults), and keys all its
//! connections with that form. The file is the one SQLCipher makes from the
//! passphrase: any SQLCipher 4 with its default settings opens it with the
//! passphrase, and chatcore opens a file SQLCipher made (tested both ways).
//! The derivation is still SQLCipher's crypto provider's: OpenSSL's
//! `PKCS5_PBKDF2_HMAC` with SHA-512, the very call SQLCipher makes, through
//! the `openssl` crate on the OpenSSL that SQLCipher is built with (the
//! RustCrypto `pbkdf2` crate took about 25% longer here). Only where it
//! runs changes: once per open instead of once per connection.
//!
//! The salt is found as SQLCipher finds it: the file's first 16 bytes, or,
//! for a file shorter than that (a new store), 16 random bytes from
//! OpenSSL's generator (`RAND_bytes`, SQLCipher's source too).

use crate::error::{Error, Result};
use crate::key::{DatabaseKey, RAW_KEY_BYTES};
use std::fmt;
use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

/// SQLCipher 4's salt length in bytes (the start of an encrypted file).
pub(crate) const SALT_BYTES: usize = 16;

/// SQLCipher 4's default key derivation rounds (`PRAGMA
/// cipher_default_kdf_iter`): PBKDF2-HMAC-SHA512, 256,000 iterations.
pub(crate) const KDF_ITERATIONS: usize = 256_000;

/// The key of an encrypted store: as the host gave it, and as each of its
/// connections is keyed (a passphrase derived once).
#[derive(Clone)]
pub(crate) struct StoreKey {
    /// The host's key ([`crate::storage::Backend::key`], backups).
    pub(crate) host: DatabaseKey,
    /// What every connection is keyed with.
    pub(crate) connections: ConnectionKey,
}

/// The text a connection of an encrypted store is keyed with
/// (`PRAGMA key`): SQLCipher's raw key form, `x'<key>'` for a raw key or
/// `x'<derived key><salt>'` for a passphrase. Wiped when dropped; `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ConnectionKey(Zeroizing<String>);

impl fmt::Debug for ConnectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectionKey(<redacted>)")
    }
}

impl ConnectionKey {
    /// The key text for the database file at `path`: a raw key as it is; a
    /// passphrase derived once with the file's salt (or a new random salt
    /// if the file is new), which takes the derivation's time.
    ///
    /// # Errors
    /// [`Error::Storage`] if no random salt can be had for a new file, or
    /// OpenSSL fails to derive the key.
    pub(crate) fn for_file(path: &Path, key: &DatabaseKey) -> Result<ConnectionKey> {
        match key {
            DatabaseKey::Raw(_) => Ok(ConnectionKey(key.sqlcipher_text())),
            DatabaseKey::Passphrase(passphrase) => {
                let salt = match file_salt(path) {
                    Some(salt) => salt,
                    None => random_salt()?,
                };
                ConnectionKey::derived(passphrase, &salt)
            }
        }
    }

    /// The key text for `key` on a file whose salt is `salt` (a rekey keeps
    /// the file's salt).
    ///
    /// # Errors
    /// [`Error::Storage`] if OpenSSL fails to derive the key.
    pub(crate) fn with_salt(key: &DatabaseKey, salt: &[u8; SALT_BYTES]) -> Result<ConnectionKey> {
        match key {
            DatabaseKey::Raw(_) => Ok(ConnectionKey(key.sqlcipher_text())),
            DatabaseKey::Passphrase(passphrase) => ConnectionKey::derived(passphrase, salt),
        }
    }

    /// SQLCipher 4's derivation of `passphrase` with `salt`, in its raw
    /// key form with the salt.
    fn derived(passphrase: &str, salt: &[u8; SALT_BYTES]) -> Result<ConnectionKey> {
        #[cfg(test)]
        DERIVATIONS.with(|count| count.set(count.get() + 1));
        let mut derived = Zeroizing::new([0u8; RAW_KEY_BYTES]);
        openssl::pkcs5::pbkdf2_hmac(
            passphrase.as_bytes(),
            salt,
            KDF_ITERATIONS,
            openssl::hash::MessageDigest::sha512(),
            derived.as_mut_slice(),
        )
        // OpenSSL's error names the failure, never the passphrase.
        .map_err(|err| Error::storage(format!("the key derivation failed: {err}")))?;
        let mut text = Zeroizing::new(String::with_capacity(3 + 2 * (RAW_KEY_BYTES + SALT_BYTES)));
        text.push_str("x'");
        push_hex(&mut text, derived.as_slice());
        push_hex(&mut text, salt);
        text.push('\'');
        Ok(ConnectionKey(text))
    }

    /// The text for `PRAGMA key` / `PRAGMA rekey` / `ATTACH … KEY`.
    pub(crate) fn text(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
thread_local! {
    /// Key derivations run on this thread, for the tests that count them.
    pub(crate) static DERIVATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The salt SQLCipher would read from the file at `path`: its first 16
/// bytes; `None` if the file is missing, shorter or unreadable (SQLCipher
/// then makes a random one; an unreadable file then fails to open with
/// SQLite's own error, as before).
fn file_salt(path: &Path) -> Option<[u8; SALT_BYTES]> {
    let file = std::fs::File::open(path).ok()?;
    let mut header = Vec::with_capacity(SALT_BYTES);
    file.take(SALT_BYTES as u64).read_to_end(&mut header).ok()?;
    header.try_into().ok()
}

/// A new file's salt: 16 bytes from OpenSSL's generator, as SQLCipher
/// makes it.
fn random_salt() -> Result<[u8; SALT_BYTES]> {
    let mut salt = [0u8; SALT_BYTES];
    openssl::rand::rand_bytes(&mut salt)
        .map_err(|err| Error::storage(format!("no random salt for the new file: {err}")))?;
    Ok(salt)
}

/// Parses the salt `PRAGMA cipher_salt` reports (32 hex digits).
pub(crate) fn parse_salt(hex: &str) -> Option<[u8; SALT_BYTES]> {
    let digits = hex.as_bytes();
    if digits.len() != 2 * SALT_BYTES {
        return None;
    }
    let mut salt = [0u8; SALT_BYTES];
    for (byte, pair) in salt.iter_mut().zip(digits.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    Some(salt)
}

fn push_hex(text: &mut String, bytes: &[u8]) {
    for byte in bytes {
        text.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        text.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_becomes_the_derived_key_and_the_salt_in_hex() {
        let salt = [0xa5; SALT_BYTES];
        let key =
            ConnectionKey::with_salt(&DatabaseKey::passphrase("pass").unwrap(), &salt).unwrap();
        let text = key.text();
        assert_eq!(text.len(), 3 + 64 + 32);
        assert!(text.starts_with("x'"));
        assert!(text.ends_with(&format!("{}'", "a5".repeat(16))));
        // PBKDF2-HMAC-SHA512("pass", salt, 256000)[..32], as SQLCipher's
        // OpenSSL computes it (`openssl kdf -keylen 32 -kdfopt digest:SHA512
        // -kdfopt pass:pass -kdfopt hexsalt:a5a5… -kdfopt iter:256000 PBKDF2`).
        assert_eq!(&text[2..66], EXPECTED_PASS_A5);
    }

    /// See the test above.
    const EXPECTED_PASS_A5: &str =
        "0a8e6a55cbae586b29f771dad5cd2412dfd0a83d9aa2c2a3ede20e4c3504b8bd";

    #[test]
    fn the_salt_is_the_files_first_16_bytes_or_random_for_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        assert_eq!(file_salt(&path), None);
        std::fs::write(&path, [7u8; 15]).unwrap();
        assert_eq!(file_salt(&path), None);
        std::fs::write(&path, [7u8; 4096]).unwrap();
        assert_eq!(file_salt(&path), Some([7; 16]));
        assert_ne!(random_salt().unwrap(), random_salt().unwrap());
    }

    #[test]
    fn parse_salt_reads_32_hex_digits_only() {
        assert_eq!(parse_salt(&"0f".repeat(16)), Some([0x0f; 16]));
        assert_eq!(parse_salt("0f"), None);
        assert_eq!(parse_salt(&"zz".repeat(16)), None);
    }

    /// SQLCipher's own defaults are the parameters derived with here (and
    /// the settings every store keeps).
    #[test]
    fn the_derivation_uses_sqlciphers_default_parameters() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let pragma = |name: &str| -> String {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .unwrap()
        };
        assert_eq!(
            pragma("cipher_default_kdf_iter"),
            KDF_ITERATIONS.to_string()
        );
        assert_eq!(pragma("cipher_default_kdf_algorithm"), "PBKDF2_HMAC_SHA512");
        assert_eq!(pragma("cipher_default_hmac_algorithm"), "HMAC_SHA512");
        assert_eq!(pragma("cipher_default_page_size"), "4096");
        assert_eq!(pragma("cipher_default_use_hmac"), "1");
        // Off, as SQLCipher 4 ships it: on, it would lock and wipe every
        // allocation, a cost on every statement.
        assert_eq!(pragma("cipher_memory_security"), "0");
    }

    /// One derivation per open: the store's other connections (pooled,
    /// checkpointer, watcher) and its checkpoints derive nothing; a rekey
    /// to a passphrase derives once more.
    #[test]
    fn a_passphrase_store_derives_its_key_once_per_open_and_once_per_rekey() {
        use crate::sqlite::Backend;
        use crate::storage::Backend as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("once.db");
        let key = DatabaseKey::passphrase("derive me once").unwrap();
        let config = crate::Config::insecure_fast_for_tests().key(key.clone());
        let count = || DERIVATIONS.with(std::cell::Cell::get);
        let before = count();
        Backend::prepare_file(&path).unwrap();
        let backend = Backend::open(Some(path.clone()), &config).unwrap();
        assert_eq!(count() - before, 1, "the first open");
        let tables = |backend: &Backend| {
            // Two connections at once: the second is a new one.
            backend
                .with_connection(|_| {
                    Ok(backend.with_connection(|conn| {
                        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                            row.get::<_, i64>(0)
                        })
                    }))
                })
                .unwrap()
                .unwrap()
        };
        assert!(tables(&backend) > 0);
        backend
            .watch_other_processes(std::sync::Arc::new(|| {}))
            .unwrap();
        backend.checkpoint().unwrap();
        assert_eq!(count() - before, 1, "other connections derived again");
        drop(backend);
        let backend = Backend::open(Some(path.clone()), &config).unwrap();
        assert_eq!(count() - before, 2, "a reopen derives once");
        let new_key = DatabaseKey::passphrase("and once more").unwrap();
        backend.rekey(&new_key).unwrap();
        assert_eq!(count() - before, 3, "a rekey derives once");
        assert!(tables(&backend) > 0);
        backend.rekey(&DatabaseKey::Raw([3; 32])).unwrap();
        assert!(tables(&backend) > 0);
        assert_eq!(count() - before, 3, "a raw key needs no derivation");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ConnectionKey::with_salt(&DatabaseKey::Raw([0x41; 32]), &[0; 16]).unwrap();
        assert_eq!(format!("{key:?}"), "ConnectionKey(<redacted>)");
    }
}
