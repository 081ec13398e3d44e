//! `open USER`.

use super::written;
use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::emit;
use std::io::Write;

/// `chat open USER`: the thread with USER, created if needed.
pub fn run(ctx: &mut Context, args: &OpenArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let other = session.find_user(&args.user)?;
    let (thread, created) = session.create_thread(&[session.user_id(), other.id])?;
    let value = serde_json::json!({ "thread": thread, "created": created, "other": other });
    written(emit(out, ctx.json, &value, |out| {
        let state = if created { "new" } else { "existing" };
        writeln!(
            out,
            "Thread {} with {} ({state}). Send with: {}",
            thread.id,
            other.username,
            hint::command(&format!("send {} TEXT", thread.id))
        )
    }))
}
