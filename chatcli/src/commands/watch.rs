//! `watch`: what happens to the logged-in user, as it happens (the change
//! feed: `Session::wait_for_changes`, then `Session::changes`). Also the
//! one wording of a change for people, which the shell's live lines share.

use super::written;
use crate::cli::WatchArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::escape;
use chatcore::{Change, ChangeKind, Error, Session, UserId};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// How long one wait lasts before it starts again (no effect on latency:
/// a change wakes it at once).
const WAIT: Duration = Duration::from_secs(5);

/// Usernames by id, looked up once.
#[derive(Default)]
pub struct Names(HashMap<UserId, String>);

impl Names {
    fn of(&mut self, session: &Session, id: UserId) -> String {
        self.0
            .entry(id)
            .or_insert_with(|| {
                session
                    .user(id)
                    .map_or_else(|_| format!("user {id}"), |user| user.username)
            })
            .clone()
    }
}

/// One line for people about `change`, or `None` for what the user did
/// themselves (their own sends, reads, threads, seen from another session).
pub fn describe(change: &Change, session: &Session, names: &mut Names) -> Option<String> {
    let me = session.user_id();
    let thread = change.thread_id.map_or(0, |id| id.0);
    let by_me = change.actor_id == Some(me);
    let mut actor = || {
        change
            .actor_id
            .map_or_else(String::new, |id| names.of(session, id))
    };
    let line = match change.kind {
        ChangeKind::MessageSent if by_me => return None,
        ChangeKind::MessageSent => match &change.message {
            Some(message) => format!("[thread {thread}] {}: {}", actor(), escape(&message.text)),
            None => format!(
                "[thread {thread}] {} sent a message (since deleted)",
                actor()
            ),
        },
        ChangeKind::MessageRead | ChangeKind::ThreadRead if by_me => return None,
        ChangeKind::MessageRead => format!(
            "[thread {thread}] {} read your message {}",
            actor(),
            change.message_id.map_or(0, |id| id.0)
        ),
        ChangeKind::ThreadRead => format!(
            "[thread {thread}] {} read your messages up to {}",
            actor(),
            change.message_id.map_or(0, |id| id.0)
        ),
        ChangeKind::ThreadCreated if by_me => return None,
        ChangeKind::ThreadCreated => {
            format!("[thread {thread}] {} started a thread with you", actor())
        }
        ChangeKind::ThreadDeleted if by_me => return None,
        ChangeKind::ThreadDeleted => format!("[thread {thread}] {} deleted the thread", actor()),
        ChangeKind::PasswordChanged => "your password was set; all your sessions ended".to_string(),
        ChangeKind::Imported => "data was imported into the store; reload".to_string(),
        ChangeKind::MessageEdited | ChangeKind::MessageDeleted if by_me => return None,
        ChangeKind::MessageEdited => match &change.message {
            Some(message) => format!(
                "[thread {thread}] {} edited message {}: {}",
                actor(),
                message.id.0,
                escape(&message.text)
            ),
            None => return None,
        },
        ChangeKind::MessageDeleted => format!(
            "[thread {thread}] {} withdrew message {}",
            actor(),
            change.message_id.map_or(0, |id| id.0)
        ),
        ChangeKind::ThreadCleared => return None,
        _ => return None,
    };
    Some(line)
}

/// `chat watch`: prints each change from now on (in JSON one object per
/// line), flushed as it comes, until interrupted (or `--count` changes).
pub fn run(ctx: &mut Context, args: &WatchArgs, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    let mut cursor = session.change_cursor()?;
    let mut names = Names::default();
    let mut shown = 0u64;
    // On stderr, in both modes: stdout carries only the changes, and a
    // script knows from this line that nothing after it will be missed.
    eprintln!("Watching for changes (Ctrl-C to stop)…");
    loop {
        if !session.wait_for_changes(Some(cursor), WAIT)? {
            continue;
        }
        let page = match session.changes(Some(cursor), Some(chatcore::MAX_PAGE_LIMIT)) {
            Err(Error::ChangesExpired) => {
                // Fell behind the retention: go on from now.
                cursor = session.change_cursor()?;
                continue;
            }
            other => other?,
        };
        cursor = page.next_cursor;
        for change in &page.items {
            if ctx.json {
                written(
                    serde_json::to_writer(&mut *out, change)
                        .map_err(std::io::Error::other)
                        .and_then(|()| writeln!(out)),
                )?;
            } else if let Some(line) = describe(change, &session, &mut names) {
                written(writeln!(out, "{line}"))?;
            } else {
                continue;
            }
            written(out.flush())?;
            shown += 1;
            if args.count.is_some_and(|count| shown >= count) {
                return Ok(());
            }
        }
    }
}
