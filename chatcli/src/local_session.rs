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
    pub fn new(state_dir: &Path, database: &Path) -> CliResult<SessionFile> {
        let canonical = database
            .canonicalize()
            .map_err(|err| CliError::io(format!("cannot resolve {}", database.display()), err))?;
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

    /// The stored session, or `None` when there is no file.
    pub fn load(&self) -> CliResult<Option<StoredSession>> {
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
    /// Written to a private temporary file and renamed over the old one, so a
    /// reader never sees half a token.
    pub fn save(&self, token: &str, email: &str) -> CliResult<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        paths::create_private_dir(dir)?;
        let stored = StoredSession {
            token: token.to_string(),
            email: email.to_string(),
            database: self.database.clone(),
        };
        let context = || format!("cannot write the session file {}", self.path.display());
        let tmp = self.path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&tmp)
            .map_err(|err| CliError::io(context(), err))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|err| CliError::io(context(), err))?;
        }
        serde_json::to_writer(&mut file, &stored)
            .map_err(|err| CliError::io(context(), io::Error::other(err)))?;
        file.write_all(b"\n")
            .and_then(|()| file.sync_all())
            .map_err(|err| CliError::io(context(), err))?;
        fs::rename(&tmp, &self.path).map_err(|err| CliError::io(context(), err))
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
