//! `backup FILE`.

use super::export::shown_path;
use super::written;
use crate::cli::BackupArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use std::io::Write;

/// `chat backup FILE`: a consistent copy of the whole database in a new file.
pub fn run(ctx: &mut Context, args: &BackupArgs, out: &mut dyn Write) -> CliResult<()> {
    ctx.store()?.backup(&args.file)?;
    let path = shown_path(&args.file);
    let bytes = std::fs::metadata(&path).map(|meta| meta.len()).ok();
    let value = serde_json::json!({ "backup": path, "bytes": bytes });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Backed up {} to {} (readable only by you). Open it with: chat --db {}",
            ctx.db_path().display(),
            path.display(),
            path.display()
        )
    }))
}
