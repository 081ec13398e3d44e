//! `export [--format django|ndjson] [--out FILE]`.

use super::written;
use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::emit;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `chat export`: the whole store as Django JSON, or the logged-in user's
/// data as NDJSON, to standard output or to a new file.
pub fn run(ctx: &mut Context, args: &ExportArgs, out: &mut dyn Write) -> CliResult<()> {
    let Some(path) = &args.out else {
        // The export itself is the output, in human and JSON modes alike.
        return write_export(ctx, args.format, out);
    };
    match args.format {
        // The core's own rule: a private temp file moved into place, and
        // never over anything there.
        ExportFormat::Django => ctx.store()?.export_django_to_file(path)?,
        ExportFormat::Ndjson => ctx.session()?.export_ndjson_to_file(path)?,
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

fn write_export(ctx: &mut Context, format: ExportFormat, out: &mut dyn Write) -> CliResult<()> {
    match format {
        ExportFormat::Django => ctx.store()?.export_django(out)?,
        ExportFormat::Ndjson => ctx.session()?.export_ndjson(out)?,
    }
    Ok(())
}

/// The absolute path when it can be found, for telling where the file went.
pub(crate) fn shown_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
