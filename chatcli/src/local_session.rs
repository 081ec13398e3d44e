//! Local sessions: the token of a login kept in a 0600 file, one per database.
//!
//! The file is named by a hash of the database's canonical path, so two
//! databases keep two sessions and `./chat.db` and its absolute path share one.

use crate::error::{CliError, CliResult};
use crate::paths;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a session file holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredSession {
    /// The secret session token ([`chatcore::Session::token`]).
    pub token: String,
    /// The email the user logged in with, for the "log in again" hint.
    pub email: String,
    /// The database this session belongs to, for people reading the folder.
    pub database: PathBuf,
}

/// The session file of one database in one state directory.
#[derive(Debug, Clone)]
pub struct SessionFile {
    path: PathBuf,
    database: PathBuf,
}

impl SessionFile {
    /// The session file for `database` (which must exist) in `state_dir`.
    /// A PostgreSQL store (a URL or key-value string) is keyed by the
    /// string as given, and recorded without its password.
    pub fn new(state_dir: &Path, database: &Path) -> CliResult<SessionFile> {
        let canonical = match chatcore::Location::parse(database) {
            chatcore::Location::Postgres(location) => PathBuf::from(without_password(&location)),
            chatcore::Location::File(_) => database.canonicalize().map_err(|err| {
                CliError::io(format!("cannot resolve {}", database.display()), err)
            })?,
        };
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());

        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Ok(SessionFile {
            path: state_dir.join(format!("session-{name}.json")),
            database: canonical,
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored session, or `None` when there is no file. A token is only
    /// read from a private state directory: a file planted in a shared one
    /// could make commands act as someone else.
    pub fn load(&self) -> CliResult<Option<StoredSession>> {
        match fs::metadata(self.dir()) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            _ => check_private_dir(self.dir())?,
        }
        match fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|err| {
                CliError::io(
                    format!(
                        "the session file {} is damaged; delete it and log in again",
                        self.path.display()
                    ),
                    io::Error::other(err),
                )
            }),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(CliError::io(
                format!("cannot read {}", self.path.display()),
                err,
            )),
        }
    }

    /// Writes the session, readable and writable by its owner only.
    ///
    /// Written to a private temporary file of a random name (created
    /// exclusively, never through a symlink) and moved over the old one in
    /// one step ([`chatcore::files::replace_file`]), so a reader never sees
    /// half a token and concurrent logins each succeed, leaving one whole
    /// session. The state directory must be private (see [`check_private_dir`]).
    pub fn save(&self, token: &str, email: &str) -> CliResult<()> {
        let dir = self.dir();
        paths::create_private_dir(dir)?;
        check_private_dir(dir)?;
        let stored = StoredSession {
            token: token.to_string(),
            email: email.to_string(),
            database: self.database.clone(),
        };
        chatcore::files::replace_file(&self.path, |file| {
            serde_json::to_writer(&mut *file, &stored).map_err(io::Error::other)?;
            file.write_all(b"\n")
        })
        .map_err(|err| {
            CliError::io(
                format!("cannot write the session file {}", self.path.display()),
                io::Error::other(err),
            )
        })
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// Removes the file; a missing file is fine.
    pub fn remove(&self) -> CliResult<()> {
        match fs::remove_file(&self.path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(CliError::io(
                format!("cannot remove {}", self.path.display()),
                err,
            )),
            _ => Ok(()),
        }
    }
}

/// Refuses a state directory that another user could tamper with: one not
/// owned by the user running `chat`, or writable by its group or by others
/// (who could plant or swap the session file there). On systems without
/// Unix permissions every directory passes.
pub fn check_private_dir(dir: &Path) -> CliResult<()> {
    #[cfg(unix)]
    {
        let meta = fs::metadata(dir)
            .map_err(|err| CliError::io(format!("cannot look at {}", dir.display()), err))?;
        let me = rustix::process::geteuid().as_raw();
        let advice = "chat keeps your session token there; use a directory of your own \
                      (set CHAT_STATE_DIR to one, e.g. ~/.local/state/chat)";
        let refuse = |why: String| {
            CliError::io(
                format!("refusing the state directory {}", dir.display()),
                io::Error::new(io::ErrorKind::PermissionDenied, why),
            )
        };
        if meta.uid() != me {
            return Err(refuse(format!(
                "it belongs to user id {}, not to you (user id {me}); {advice}",
                meta.uid()
            )));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(refuse(format!(
                "other users can write to it (mode {:o}); run chmod go-w {}, or {advice}",
                meta.mode() & 0o7777,
                dir.display()
            )));
        }
    }
    Ok(())
}

/// A PostgreSQL connection string without a password in it (a URL's
/// `user:password@`, a `password=` pair), to write in a file.
fn without_password(location: &str) -> String {
    if let Some((scheme, rest)) = location.split_once("://") {
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            let user = userinfo.split(':').next().unwrap_or_default();
            return format!("{scheme}://{user}@{host}{tail}");
        }
        return location.to_string();
    }
    location
        .split_whitespace()
        .filter(|pair| !pair.trim_start().starts_with("password"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod location_tests {
    use super::without_password;

    #[test]
    fn passwords_are_left_out_of_what_is_written() {
        assert_eq!(
            without_password("postgresql://ann:s3cret@db.example:5432/chat?sslmode=require"),
            "postgresql://ann@db.example:5432/chat?sslmode=require"
        );
        assert_eq!(without_password("postgres://db/chat"), "postgres://db/chat");
        assert_eq!(
            without_password("host=db password=s3cret dbname=chat"),
            "host=db dbname=chat"
        );
    }
}
