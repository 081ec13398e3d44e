//! `read MESSAGE` and `read --thread THREAD`.

use super::written;
use crate::cli::ReadArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::emit;
use chatcore::{MessageId, ThreadId};
use std::io::Write;

/// `chat read`: marks one message, or a thread's messages to me, read.
pub fn run(ctx: &mut Context, args: &ReadArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    match (args.message, args.thread) {
        (Some(message_id), None) => {
            let message = session.mark_read(MessageId(message_id))?;
            written(emit(out, ctx.json, &message, |out| {
                writeln!(out, "Message {} is read.", message.id)
            }))
        }
        (None, Some(thread_id)) => {
            let marked =
                session.mark_thread_read(ThreadId(thread_id), args.up_to.map(MessageId))?;
            let value = serde_json::json!({ "thread_id": thread_id, "marked_read": marked });
            written(emit(out, ctx.json, &value, |out| {
                let plural = if marked == 1 { "" } else { "s" };
                writeln!(
                    out,
                    "Marked {marked} message{plural} read in thread {thread_id}."
                )
            }))
        }
        _ => Err(CliError::Usage(
            "read needs a MESSAGE id or --thread THREAD".into(),
        )),
    }
}
