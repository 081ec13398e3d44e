//! `messages THREAD [--before ID] [--after ID] [--limit N]`.

use super::written;
use crate::cli::MessagesArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::{emit, human, table};
use crate::timefmt::relative;
use chatcore::{MessageId, MessageQuery, ThreadId};
use std::io::Write;

/// `chat messages`: a page of a thread's history, oldest first, new ones marked.
pub fn run(ctx: &mut Context, args: &MessagesArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let thread_id = ThreadId(args.thread);
    let page = session.list_messages(
        thread_id,
        &MessageQuery {
            before: args.before.map(MessageId),
            after: args.after.map(MessageId),
            limit: args.limit,
        },
    )?;
    if ctx.json {
        return written(emit(out, true, &page, |_| Ok(())));
    }
    let me = session.user_id();
    let other_name = session.thread_summary(thread_id)?.other.username;
    let now = chrono::Utc::now();
    // A message of several lines is shown under its row, indented to the
    // TEXT column ([`table`]), and every character through the escaping.
    written(human(out, |out| {
        if page.items.is_empty() {
            return writeln!(out, "No messages here.");
        }
        let rows: Vec<Vec<String>> = page
            .items
            .iter()
            .map(|m| {
                let from_me = m.sender_id == me;
                let sender = if from_me { "you" } else { other_name.as_str() };
                let new = if !from_me && m.read_at.is_none() {
                    "* new"
                } else {
                    ""
                };
                vec![
                    m.id.to_string(),
                    relative(m.created_at, now),
                    sender.to_string(),
                    new.to_string(),
                    shown_text(m),
                ]
            })
            .collect();
        table(out, &["ID", "SENT", "FROM", "", "TEXT"], &rows)?;
        if page.has_more {
            match (args.after, page.items.first(), page.items.last()) {
                (Some(_), _, Some(last)) => writeln!(
                    out,
                    "Newer: {}",
                    hint::command(&format!("messages {thread_id} --after {}", last.id))
                )?,
                (None, Some(first), _) => writeln!(
                    out,
                    "Older: {}",
                    hint::command(&format!("messages {thread_id} --before {}", first.id))
                )?,
                _ => {}
            }
        }
        Ok(())
    }))
}

/// A message's text as the history shows it: "message withdrawn" in place
/// of a withdrawn one, "(edited)" after an edited one.
pub(crate) fn shown_text(message: &chatcore::Message) -> String {
    match (message.deleted_at, message.edited_at) {
        (Some(_), _) => WITHDRAWN.to_string(),
        (None, Some(_)) => format!("{} (edited)", message.text),
        (None, None) => message.text.clone(),
    }
}

/// What a withdrawn message shows in place of its text.
pub(crate) const WITHDRAWN: &str = "message withdrawn";
