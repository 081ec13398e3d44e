//! `threads`: the inbox.

use super::written;
use crate::cli::ThreadsArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::{emit, preview, table};
use crate::timefmt::relative;
use chatcore::ThreadQuery;
use std::io::Write;

/// `chat threads`: my threads, newest activity first, with unread counts.
pub fn run(ctx: &mut Context, args: &ThreadsArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let page = session.list_threads(&ThreadQuery {
        cursor: args.cursor.as_deref(),
        limit: args.limit,
    })?;
    let me = session.user_id();
    let now = chrono::Utc::now();
    written(emit(out, ctx.json, &page, |out| {
        if page.items.is_empty() {
            return writeln!(
                out,
                "No threads yet. Start one with: {}",
                hint::command("open USER")
            );
        }
        let rows: Vec<Vec<String>> = page
            .items
            .iter()
            .map(|summary| {
                let unread = match summary.unread_count {
                    0 => String::new(),
                    n => format!("* {n} new"),
                };
                let last = match &summary.last_message {
                    Some(m) if m.deleted_at.is_some() => super::messages::WITHDRAWN.to_string(),
                    Some(m) if m.sender_id == me => format!("you: {}", preview(&m.text, 40)),
                    Some(m) => preview(&m.text, 45),
                    None => "(no messages)".to_string(),
                };
                vec![
                    summary.thread.id.to_string(),
                    summary.other.username.clone(),
                    unread,
                    relative(summary.thread.last_activity_at, now),
                    last,
                ]
            })
            .collect();
        table(
            out,
            &["THREAD", "WITH", "UNREAD", "ACTIVE", "LAST MESSAGE"],
            &rows,
        )?;
        if let Some(cursor) = &page.next_cursor {
            writeln!(
                out,
                "More: {}",
                hint::command(&format!("threads --cursor {cursor}"))
            )?;
        }
        Ok(())
    }))
}
