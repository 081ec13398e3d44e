//! Arguments of the commands that move data: `import`, `export`,
//! `backup`, `rekey`, `copy`.

use clap::Args;
use std::path::PathBuf;

/// Arguments of `chat import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The `dumpdata` JSON file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Check everything and report what would be imported, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `chat export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The whole store as Django `dumpdata` JSON (what `chat import` reads).
    Django,
    /// The logged-in user's threads and messages, one JSON object a line.
    Ndjson,
}

/// Arguments of `chat export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format (and so what is exported).
    #[arg(long, value_enum, default_value_t = ExportFormat::Django)]
    pub format: ExportFormat,
    /// Write to this new (or empty) file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `chat backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file for the copy.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Encrypt the copy with a new key (asked for twice; the database itself may be plain).
    #[arg(long, conflicts_with = "decrypt")]
    pub encrypt: bool,
    /// Write a plain (unencrypted) copy of an encrypted database.
    #[arg(long)]
    pub decrypt: bool,
    /// With --encrypt: read the new key from the next line of standard input.
    #[arg(long, requires = "encrypt")]
    pub new_key_stdin: bool,
}

/// Arguments of `chat rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Read the new key from the next line of standard input instead of a prompt.
    #[arg(long)]
    pub new_key_stdin: bool,
}

/// Arguments of `chat copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The empty target: a file path, or a PostgreSQL URL (the password
    /// from PGPASSWORD or ~/.pgpass, never on the command line).
    #[arg(long, value_name = "TARGET")]
    pub to: PathBuf,
}
