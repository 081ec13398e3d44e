//! The key of an encrypted database: where `chat` takes it from.
//!
//! Never from an argument or a plain environment value (both are visible to
//! other processes and kept in shell history): from a hidden prompt on the
//! terminal (asked once per process, when the database turns out to be
//! encrypted), from the first line of standard input with `--key-stdin`, or
//! from the file `CHAT_DB_KEY_FILE` names, which must be readable by its
//! owner only (0600). The key is text (a passphrase); text of the form
//! `x'…'` with 64 hex digits is a raw 256-bit key, as SQLCipher writes it.

use crate::error::{CliError, CliResult};
use chatcore::DatabaseKey;
use std::io::{BufRead, BufReader};
use std::path::Path;
use zeroize::Zeroizing;

/// The variable naming a file (mode 0600) whose first line is the database key.
pub const KEY_FILE_ENV: &str = "CHAT_DB_KEY_FILE";

/// The key written as text: `x'` + 64 hex digits + `'` is a raw key, anything
/// else a passphrase.
///
/// # Errors
/// [`CliError::Core`] with `invalid_argument` for an unusable passphrase
/// (empty, a NUL, or a malformed raw form); the message never quotes it.
pub fn parse(text: &str) -> CliResult<DatabaseKey> {
    let bytes = text.as_bytes();
    let raw_form = bytes.len() == 67
        && (bytes[0] == b'x' || bytes[0] == b'X')
        && bytes[1] == b'\''
        && bytes[66] == b'\'';
    if raw_form {
        let mut raw = Zeroizing::new([0u8; chatcore::RAW_KEY_BYTES]);
        for (i, pair) in bytes[2..66].chunks(2).enumerate() {
            let digits = std::str::from_utf8(pair).ok();
            raw[i] = digits
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| {
                    chatcore::Error::InvalidArgument(
                        "the raw database key (x'…') has a character that is not a hex digit"
                            .into(),
                    )
                })?;
        }
        return Ok(DatabaseKey::Raw(*raw));
    }
    Ok(DatabaseKey::passphrase(text)?)
}

/// The key in the file at `path`: its first line, the file readable and
/// writable by its owner only.
///
/// # Errors
/// [`CliError::Usage`] if the file can be read by others (mode not 0600 or
/// stricter) or is empty; [`CliError::Io`] if it cannot be read.
pub fn from_file(path: &Path) -> CliResult<DatabaseKey> {
    let file = std::fs::File::open(path).map_err(|err| {
        CliError::io(
            format!(
                "cannot read the key file {} ({KEY_FILE_ENV})",
                path.display()
            ),
            err,
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|err| CliError::io("cannot read the key file's mode", err))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CliError::Usage(format!(
                "the key file {} ({KEY_FILE_ENV}) can be read or written by others (mode {:o}); \
                 make it private with: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    let mut line = Zeroizing::new(String::new());
    BufReader::new(file)
        .read_line(&mut line)
        .map_err(|err| CliError::io("cannot read the key file", err))?;
    let text = line.trim_end_matches(['\n', '\r']);
    if text.is_empty() {
        return Err(CliError::Usage(format!(
            "the key file {} ({KEY_FILE_ENV}) is empty",
            path.display()
        )));
    }
    parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_form_is_a_raw_key_and_anything_else_a_passphrase() {
        let hex = format!("x'{}'", "0f".repeat(32));
        assert_eq!(parse(&hex).unwrap(), DatabaseKey::Raw([0x0f; 32]));
        assert!(matches!(
            parse("open sesame").unwrap(),
            DatabaseKey::Passphrase(_)
        ));
        let bad = format!("x'{}'", "zz".repeat(32));
        assert_eq!(parse(&bad).unwrap_err().code(), "invalid_argument");
        assert_eq!(parse("").unwrap_err().code(), "invalid_argument");
    }
}
