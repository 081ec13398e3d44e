//! `export [--format django|ndjson] [--out FILE]`.

use super::written;
use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::emit;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `chat export`: the whole store as Django JSON, or the logged-in user's
/// data as NDJSON, to standard output or to a new file.
pub fn run(ctx: &mut Context, args: &ExportArgs, out: &mut dyn Write) -> CliResult<()> {
    let Some(path) = &args.out else {
        // The export itself is the output, in human and JSON modes alike.
        return write_export(ctx, args.format, out);
    };
    match args.format {
        // The core's own rule: a private temp file renamed into place, and
        // never over a non-empty file.
        ExportFormat::Django => ctx.store()?.export_django_to_file(path)?,
        // The core has no file variant for NDJSON: the same rule, here.
        ExportFormat::Ndjson => write_new_file(ctx, args.format, path)?,
    }
    let bytes = fs::metadata(path)
        .map_err(|err| CliError::io(format!("cannot look at {}", path.display()), err))?
        .len();
    let value = serde_json::json!({
        "format": args.format,
        "path": shown_path(path),
        "bytes": bytes,
    });
    written(emit(out, ctx.json, &value, |out| {
        let what = match args.format {
            ExportFormat::Django => "the whole store as Django dumpdata JSON",
            ExportFormat::Ndjson => "your threads and messages as NDJSON",
        };
        writeln!(
            out,
            "Exported {what} to {} ({bytes} bytes).",
            shown_path(path).display()
        )
    }))
}

/// Writes the export to `path`, a new (or empty) file, through a private
/// temp file beside it renamed into place, so a failed export leaves no
/// half-written file; the rule of [`chatcore::Store::export_django_to_file`].
fn write_new_file(ctx: &mut Context, format: ExportFormat, path: &Path) -> CliResult<()> {
    let target_was_empty = refuse_non_empty(path)?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // tempfile creates it readable only by us.
    let mut temp = tempfile::Builder::new()
        .prefix(".chat-export-")
        .tempfile_in(dir)
        .map_err(|err| CliError::io(format!("cannot create a file in {}", dir.display()), err))?;
    write_export(ctx, format, temp.as_file_mut())?;
    let cannot_write = |err| CliError::io(format!("cannot write {}", path.display()), err);
    temp.as_file().sync_all().map_err(cannot_write)?;
    if target_was_empty {
        // Checked again: the rename replaces whatever is there now.
        refuse_non_empty(path)?;
        temp.persist(path).map_err(|err| cannot_write(err.error))?;
    } else {
        temp.persist_noclobber(path)
            .map_err(|err| match err.error.kind() {
                io::ErrorKind::AlreadyExists => refusal(path),
                _ => cannot_write(err.error),
            })?;
    }
    Ok(())
}

fn write_export(ctx: &mut Context, format: ExportFormat, out: &mut dyn Write) -> CliResult<()> {
    match format {
        ExportFormat::Django => ctx.store()?.export_django(out)?,
        ExportFormat::Ndjson => ctx.session()?.export_ndjson(out)?,
    }
    Ok(())
}

/// Refuses a path holding anything but an empty file; returns whether an
/// empty file is there (to be replaced).
fn refuse_non_empty(path: &Path) -> CliResult<bool> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == 0 => Ok(true),
        Ok(_) => Err(refusal(path)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(CliError::io(
            format!("cannot look at {}", path.display()),
            err,
        )),
    }
}

/// The same refusal, and code, as the core's for Django exports and backups.
fn refusal(path: &Path) -> CliError {
    CliError::Core(chatcore::Error::InvalidArgument(format!(
        "{} already exists; an export never overwrites a file",
        path.display()
    )))
}

/// The absolute path when it can be found, for telling where the file went.
pub(crate) fn shown_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
