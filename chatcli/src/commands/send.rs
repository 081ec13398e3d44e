//! `send THREAD TEXT…` and `send --to USER TEXT…`.

use super::set_password::shell_word;
use super::written;
use crate::cli::SendArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::hint;
use crate::output::emit;
use crate::user_arg::resolve;
use chatcore::{Message, ThreadId};
use serde::Serialize;
use std::io::Write;

/// `chat send`: sends the words joined by spaces.
pub fn run(ctx: &mut Context, args: &SendArgs, out: &mut dyn Write) -> CliResult<()> {
    // The grammar is checked before the session, so a typo is a usage error
    // even when logged out.
    let (thread, words) = match &args.to {
        Some(_) => (None, &args.words[..]),
        None => {
            let (first, rest) = args.words.split_first().ok_or_else(|| {
                CliError::Usage("send needs THREAD and TEXT, or --to USER and TEXT".into())
            })?;
            let id = first.parse::<i64>().map_err(|_| {
                CliError::Usage(format!(
                    "{first:?} is not a thread id; to send to a user, use: {}",
                    hint::command("send --to USER TEXT")
                ))
            })?;
            if rest.is_empty() {
                return Err(CliError::Usage(
                    "send needs a TEXT after the thread id".into(),
                ));
            }
            (Some(ThreadId(id)), rest)
        }
    };
    let session = ctx.session()?;
    let thread_id = match (thread, &args.to) {
        (Some(id), _) => id,
        (None, Some(user)) => {
            let text = shell_word(&words.join(" "));
            let other = resolve(
                |who| session.find_user(who),
                user,
                |who| hint::command(&format!("send --to {who} {text}")),
            )?;
            session.create_thread(&[session.user_id(), other.id])?.0.id
        }
        (None, None) => return Err(CliError::Usage("send needs a THREAD or --to USER".into())),
    };
    let text = words.join(" ");
    let Some(key) = &args.key else {
        let message = session.send(thread_id, &text)?;
        return written(emit(out, ctx.json, &message, |out| {
            writeln!(
                out,
                "Sent message {} in thread {}.",
                message.id, message.thread_id
            )
        }));
    };
    let (message, created) = session.send_with_key(thread_id, &text, key)?;
    let shown = Keyed {
        message: &message,
        created,
    };
    written(emit(out, ctx.json, &shown, |out| {
        if created {
            writeln!(
                out,
                "Sent message {} in thread {}.",
                message.id, message.thread_id
            )
        } else {
            writeln!(
                out,
                "Already sent: message {} in thread {} (key used before; nothing sent again).",
                message.id, message.thread_id
            )
        }
    }))
}

/// The `--json` answer of a keyed send: the message's fields and whether
/// this call stored it (`false`: a retry, the message was already sent).
#[derive(Serialize)]
struct Keyed<'a> {
    #[serde(flatten)]
    message: &'a Message,
    created: bool,
}
