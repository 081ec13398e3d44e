//! `open USER`.

use super::written;
use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use crate::user_arg::resolve;
use std::io::Write;

/// `chat open USER`: the thread with USER, created if needed.
pub fn run(ctx: &mut Context, args: &OpenArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let other = resolve(
        |text| session.find_user(text),
        &args.user,
        |who| format!("chat open {who}"),
    )?;
    let (thread, created) = session.create_thread(&[session.user_id(), other.id])?;
    let value = serde_json::json!({ "thread": thread, "created": created, "other": other });
    written(emit(out, ctx.json, &value, |out| {
        let state = if created { "new" } else { "existing" };
        writeln!(
            out,
            "Thread {} with {} ({state}). Send with: chat send {} TEXT",
            thread.id, other.username, thread.id
        )
    }))
}
