//! `edit MESSAGE TEXT…`, `unsend MESSAGE [--yes]` and `clear THREAD [--yes]`:
//! a message's life. The rules are the core's (`Session::edit_message`,
//! `delete_message`, `clear_thread`).

use super::written;
use crate::cli::{ClearArgs, EditArgs, UnsendArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{emit, escape};
use chatcore::{MessageId, ThreadId};
use std::io::Write;

/// `chat edit`: replaces the text of one of my messages.
pub fn edit(ctx: &mut Context, args: &EditArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let message = session.edit_message(MessageId(args.message), &args.words.join(" "))?;
    written(emit(out, ctx.json, &message, |out| {
        writeln!(
            out,
            "Edited message {} in thread {}.",
            message.id, message.thread_id
        )
    }))
}

/// `chat unsend`: withdraws one of my messages for both of us, after asking.
pub fn unsend(ctx: &mut Context, args: &UnsendArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let id = MessageId(args.message);
    if !args.yes {
        let question = format!("Withdraw message {id} for both of you? Its text will be deleted.");
        if !ctx.confirm(&question, "--yes")? {
            return Err(CliError::Cancelled);
        }
    }
    let message = session.delete_message(id)?;
    written(emit(out, ctx.json, &message, |out| {
        writeln!(
            out,
            "Withdrew message {} in thread {}.",
            message.id, message.thread_id
        )
    }))
}

/// `chat clear`: clears a thread's history for me only, after asking.
pub fn clear(ctx: &mut Context, args: &ClearArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let thread_id = ThreadId(args.thread);
    if !args.yes {
        // Looking the thread up first makes a wrong id fail before the question.
        let with = session.thread_summary(thread_id)?.other.username;
        let with = escape(&with);
        let question =
            format!("Clear thread {thread_id} with {with} for you? {with} keeps their history.");
        if !ctx.confirm(&question, "--yes")? {
            return Err(CliError::Cancelled);
        }
    }
    let through = session.clear_thread(thread_id)?;
    let value = serde_json::json!({ "thread_id": thread_id, "cleared_through_id": through });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(out, "Cleared thread {thread_id} for you.")
    }))
}
