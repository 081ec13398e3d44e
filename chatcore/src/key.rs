//! The key of an encrypted store ([`DatabaseKey`]): what the host gives
//! [`Config::key`](crate::Config::key), checked here once for every face.
//!
//! The encryption itself is SQLCipher's (AES-256 in CBC mode with a random
//! IV per page and an HMAC-SHA512 per page; see the README's Guarantees):
//! chatcore only hands it the key.

use crate::error::{Error, Result};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The length of a raw key in bytes (256 bits).
pub const RAW_KEY_BYTES: usize = 32;

/// The key that opens an encrypted store. Its bytes are wiped from memory
/// when the value is dropped, and `Debug` never shows them.
///
/// - [`DatabaseKey::Raw`]: 32 random bytes the host keeps (in the iOS
///   Keychain or the Android Keystore); used as the AES key as is, so
///   opening costs nothing extra.
/// - [`DatabaseKey::Passphrase`]: text a person types; the key is derived
///   from it as SQLCipher 4 does, with PBKDF2-HMAC-SHA512 (256,000
///   iterations, a random salt stored in the file), once per open: that
///   makes every open take one derivation (100–200 ms on current
///   hardware) and guessing expensive.
///
/// ```
/// use chatcore::DatabaseKey;
///
/// let key = DatabaseKey::Raw([7; 32]);
/// assert_eq!(format!("{key:?}"), "DatabaseKey::Raw(<redacted>)");
/// let words = DatabaseKey::passphrase("correct horse battery staple")?;
/// assert!(DatabaseKey::passphrase("").is_err());
/// # let _ = words;
/// # Ok::<(), chatcore::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub enum DatabaseKey {
    /// A 256-bit key, used without key derivation.
    Raw([u8; RAW_KEY_BYTES]),
    /// A passphrase, run through SQLCipher's key derivation. Build it with
    /// [`DatabaseKey::passphrase`], which checks it.
    Passphrase(String),
}

impl fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseKey::Raw(_) => f.write_str("DatabaseKey::Raw(<redacted>)"),
            DatabaseKey::Passphrase(_) => f.write_str("DatabaseKey::Passphrase(<redacted>)"),
        }
    }
}

impl DatabaseKey {
    /// A checked passphrase key.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (never quoting the passphrase) if it is
    /// empty, contains a NUL character, or has the form SQLCipher reads as
    /// a raw key (`x'` followed by hex digits and `'`; use
    /// [`DatabaseKey::Raw`] for raw keys).
    pub fn passphrase(text: impl Into<String>) -> Result<DatabaseKey> {
        let key = DatabaseKey::Passphrase(text.into());
        key.check()?;
        Ok(key)
    }

    /// A raw key from bytes, which must be exactly [`RAW_KEY_BYTES`] long.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (saying only the length) for any other length.
    pub fn raw(bytes: &[u8]) -> Result<DatabaseKey> {
        let raw: [u8; RAW_KEY_BYTES] = bytes.try_into().map_err(|_| {
            Error::InvalidArgument(format!(
                "a raw database key is {RAW_KEY_BYTES} bytes, not {}",
                bytes.len()
            ))
        })?;
        Ok(DatabaseKey::Raw(raw))
    }

    /// Checks a key built directly as an enum value: the rules of
    /// [`DatabaseKey::passphrase`] (a raw key is always valid).
    ///
    /// # Errors
    /// As [`DatabaseKey::passphrase`].
    pub fn check(&self) -> Result<()> {
        let DatabaseKey::Passphrase(text) = self else {
            return Ok(());
        };
        if text.is_empty() {
            return Err(Error::InvalidArgument(
                "the database passphrase is empty (omit the key for a plain store)".into(),
            ));
        }
        if text.contains('\0') {
            return Err(Error::InvalidArgument(
                "the database passphrase contains a NUL character".into(),
            ));
        }
        if looks_raw(text) {
            return Err(Error::InvalidArgument(
                "the database passphrase has the form of a raw hex key (x'…'); \
                 give raw keys as DatabaseKey::Raw"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The text SQLCipher takes as the key: the passphrase, or `x'HEX'` for
    /// a raw key (SQLCipher's raw key form, which skips key derivation).
    pub(crate) fn sqlcipher_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(3 + 2 * RAW_KEY_BYTES));
        match self {
            DatabaseKey::Raw(bytes) => {
                text.push_str("x'");
                for byte in bytes {
                    text.push(hex_digit(byte >> 4));
                    text.push(hex_digit(byte & 0x0f));
                }
                text.push('\'');
            }
            DatabaseKey::Passphrase(passphrase) => text.push_str(passphrase),
        }
        text
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// Whether SQLCipher would read `text` as a raw key: `x'…'` around only hex
/// digits (it accepts 64 or 96 of them; any such text is refused).
fn looks_raw(text: &str) -> bool {
    let lower = text.as_bytes();
    lower.len() >= 3
        && (lower[0] == b'x' || lower[0] == b'X')
        && lower[1] == b'\''
        && lower[lower.len() - 1] == b'\''
        && lower[2..lower.len() - 1].iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_key_becomes_sqlciphers_hex_form() {
        let mut bytes = [0u8; RAW_KEY_BYTES];
        bytes[0] = 0xab;
        bytes[31] = 0x01;
        let text = DatabaseKey::Raw(bytes).sqlcipher_text();
        assert_eq!(text.len(), 67);
        assert!(text.starts_with("x'ab00"), "{}", &text[..6]);
        assert!(text.ends_with("01'"));
    }

    #[test]
    fn passphrases_that_sqlcipher_would_misread_are_refused() {
        for bad in ["", "a\0b", "x'00ff'", "X''"] {
            let err = DatabaseKey::passphrase(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_argument");
        }
        assert!(DatabaseKey::passphrase("x'not hex'").is_ok());
        assert!(DatabaseKey::passphrase("it's fine").is_ok());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = DatabaseKey::passphrase("hunter2-secret").unwrap();
        let shown = format!("{key:?} {:?}", DatabaseKey::Raw([0x41; 32]));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("41"), "{shown}");
    }

    #[test]
    fn raw_keys_must_be_32_bytes() {
        assert!(DatabaseKey::raw(&[1; 32]).is_ok());
        let err = DatabaseKey::raw(&[1; 16]).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
    }
}
