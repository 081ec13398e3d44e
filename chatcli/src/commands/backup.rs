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
    ctx.store()?;
    if args.encrypt {
        let key = ctx.new_database_key(args.new_key_stdin)?;
        ctx.store()?.backup_with_key(&args.file, Some(&key))?;
    } else if args.decrypt {
        ctx.store()?.backup_with_key(&args.file, None)?;
    } else {
        ctx.store()?.backup(&args.file)?;
    }
    let path = shown_path(&args.file);
    let bytes = std::fs::metadata(&path).map(|meta| meta.len()).ok();
    let encrypted = match (args.encrypt, args.decrypt) {
        (true, _) => true,
        (_, true) => false,
        _ => ctx.store()?.is_encrypted(),
    };
    let value = serde_json::json!({ "backup": path, "bytes": bytes, "encrypted": encrypted });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Backed up {} to {} ({}readable only by you). Open it with: chat --db {}",
            ctx.db_path().display(),
            path.display(),
            if encrypted { "encrypted, " } else { "" },
            path.display()
        )
    }))
}
