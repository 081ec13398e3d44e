//! `open USER`.

use super::written;
use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::emit;
use crate::user_arg::resolve;
use chatcore::ThreadSummary;
use serde::Serialize;
use std::io::Write;

/// The JSON of `open`: the thread as an item of `threads` lists it (the
/// same [`ThreadSummary`] fields, in the same order), then whether it was
/// created now.
#[derive(Serialize)]
struct Opened {
    #[serde(flatten)]
    summary: ThreadSummary,
    created: bool,
}

/// `chat open USER`: the thread with USER, created if needed.
pub fn run(ctx: &mut Context, args: &OpenArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let other = resolve(
        |text| session.find_user(text),
        &args.user,
        |who| hint::command(&format!("open {who}")),
    )?;
    let (thread, created) = session.create_thread(&[session.user_id(), other.id])?;
    let summary = session.thread_summary(thread.id)?;
    let value = Opened { summary, created };
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
