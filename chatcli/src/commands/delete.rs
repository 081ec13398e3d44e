//! `delete THREAD [--yes]`.

use super::written;
use crate::cli::DeleteArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{emit, escape};
use chatcore::ThreadId;
use std::io::Write;

/// `chat delete`: deletes a thread for both participants, after asking.
pub fn run(ctx: &mut Context, args: &DeleteArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let thread_id = ThreadId(args.thread);
    if !args.yes {
        // Looking the thread up first makes a wrong id fail before the question.
        let with = session.thread_summary(thread_id)?.other.username;
        let question = format!(
            "Delete thread {thread_id} with {} and all its messages, for both of you?",
            escape(&with)
        );
        if !ctx.confirm(&question, "--yes")? {
            return Err(CliError::Cancelled);
        }
    }
    session.delete_thread(thread_id)?;
    let value = serde_json::json!({ "deleted_thread_id": thread_id });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(out, "Deleted thread {thread_id}.")
    }))
}
