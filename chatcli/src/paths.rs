//! Where things live: the default database, the state directory for local
//! sessions, and the REPL history.

use crate::error::{CliError, CliResult};
use directories::ProjectDirs;
use std::env;
use std::path::{Path, PathBuf};

fn project_dirs() -> CliResult<ProjectDirs> {
    ProjectDirs::from("", "", "chat").ok_or_else(|| {
        CliError::Usage("no home directory found: pass --db PATH and set CHAT_STATE_DIR".into())
    })
}

fn non_empty_env(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// The platform data directory of `chat` (e.g. `~/.local/share/chat`).
pub fn data_dir() -> CliResult<PathBuf> {
    Ok(project_dirs()?.data_dir().to_path_buf())
}

/// The database to use: `--db`, else `$CHAT_DB`, else `<data dir>/chat.db`
/// (creating the data directory).
pub fn database(flag: Option<&Path>) -> CliResult<PathBuf> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = non_empty_env("CHAT_DB") {
        return Ok(path);
    }
    let dir = data_dir()?;
    create_private_dir(&dir)?;
    Ok(dir.join("chat.db"))
}

/// The directory for local session files: `$CHAT_STATE_DIR`, else the
/// platform state directory, else the data directory.
pub fn state_dir() -> CliResult<PathBuf> {
    if let Some(path) = non_empty_env("CHAT_STATE_DIR") {
        return Ok(path);
    }
    let dirs = project_dirs()?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}

/// Creates `dir` (and its parents), readable only by its owner where that applies.
pub fn create_private_dir(dir: &Path) -> CliResult<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|err| CliError::io(format!("cannot create {}", dir.display()), err))
}
