//! `rekey`.

use super::written;
use crate::cli::RekeyArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use std::io::Write;

/// `chat rekey`: a new key for an encrypted database.
pub fn run(ctx: &mut Context, args: &RekeyArgs, out: &mut dyn Write) -> CliResult<()> {
    ctx.store()?;
    let key = ctx.new_database_key(args.new_key_stdin)?;
    ctx.store()?.rekey(&key)?;
    let value = serde_json::json!({ "rekeyed": true });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "The key of {} was changed. Open it with the new key from now on \
             (other programs that have it open must reopen it).",
            ctx.db_path().display()
        )
    }))
}
