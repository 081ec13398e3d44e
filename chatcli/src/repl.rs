//! The interactive shell: each line is split shell-style and parsed by the
//! same clap grammar as one-shot commands, so a command behaves the same in
//! both. When standard input is not a terminal, lines are read from it.

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{CliError, EXIT_OK};
use crate::output::escape;
use crate::{commands, paths, report_clap_error, report_error};
use clap::{CommandFactory, Parser};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor, Helper, Highlighter, Hinter, Validator};
use std::io::{self, Write};
use std::path::PathBuf;

/// Words the shell understands besides the commands.
const SHELL_WORDS: [&str; 3] = ["help", "exit", "quit"];

/// Runs the shell until `exit`, Ctrl-D or the end of standard input.
///
/// Returns the exit code: 0 in a terminal; when reading piped lines, the
/// code of the last line that failed (0 if none did).
pub fn run(ctx: &mut Context) -> u8 {
    if ctx.stdin_is_terminal() {
        interactive(ctx)
    } else {
        piped(ctx)
    }
}

/// Runs one line. `None` means the shell should end; otherwise the exit code
/// the line would have had as a one-shot command.
pub fn run_line(ctx: &mut Context, line: &str, out: &mut dyn Write) -> Option<u8> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Some(EXIT_OK);
    }
    if line == "exit" || line == "quit" {
        return None;
    }
    let Some(words) = shlex::split(line) else {
        let err = CliError::Usage("unbalanced quotes or a trailing backslash".into());
        return Some(report_error(&err, ctx.json));
    };
    let cli = match Cli::try_parse_from(std::iter::once("chat".to_string()).chain(words)) {
        Ok(cli) => cli,
        Err(err) => return Some(report_clap_error(&err, ctx.json)),
    };
    let json = ctx.json || cli.json;
    if cli.db.is_some() {
        let err = CliError::Usage(
            "the database is chosen when chat starts: leave the shell and run chat --db PATH"
                .into(),
        );
        return Some(report_error(&err, json));
    }
    let Some(command) = cli.command else {
        return Some(EXIT_OK);
    };
    let outer_json = ctx.json;
    ctx.json = json;
    let result = commands::run(ctx, command, out);
    ctx.json = outer_json;
    let _ = out.flush();
    Some(match result {
        Ok(()) => EXIT_OK,
        Err(err) => report_error(&err, json),
    })
}

fn piped(ctx: &mut Context) -> u8 {
    let mut last_failure = EXIT_OK;
    loop {
        let line = match ctx.read_line() {
            Ok(Some(line)) => line,
            Ok(None) => return last_failure,
            Err(err) => return report_error(&err, ctx.json),
        };
        match run_line(ctx, &line, &mut io::stdout().lock()) {
            None => return last_failure,
            Some(EXIT_OK) => {}
            Some(code) => last_failure = code,
        }
    }
}

/// Completes command names (and `help`, `exit`, `quit`) in the first word,
/// and usernames after `open` and `send --to` when logged in.
#[derive(Helper, Hinter, Highlighter, Validator)]
struct ReplHelper {
    words: Vec<String>,
    session: Option<chatcore::Session>,
}

/// How many usernames one Tab offers at most.
const USERNAME_COMPLETIONS: u32 = 20;

impl ReplHelper {
    fn new() -> ReplHelper {
        let mut words: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|command| command.get_name().to_string())
            .chain(SHELL_WORDS.iter().map(|word| word.to_string()))
            .collect();
        words.sort();
        words.dedup();
        ReplHelper {
            words,
            session: None,
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = &line[..pos];
        let start = before.len() - before.trim_start().len();
        let word = &before[start..];
        if word.contains(char::is_whitespace) {
            return Ok(self.complete_username(before));
        }
        let matches = self
            .words
            .iter()
            .filter(|candidate| candidate.starts_with(word))
            .cloned()
            .collect();
        Ok((start, matches))
    }
}

impl ReplHelper {
    /// Usernames starting with the last word, when it follows `open` or `--to`.
    fn complete_username(&self, before: &str) -> (usize, Vec<String>) {
        let start = before
            .rfind(char::is_whitespace)
            .map_or(0, |space| space + 1);
        let previous = before[..start].split_whitespace().collect::<Vec<_>>();
        let wants_user = match previous.as_slice() {
            ["open"] => true,
            [.., "--to"] => previous.first() == Some(&"send"),
            _ => false,
        };
        let Some(session) = self.session.as_ref().filter(|_| wants_user) else {
            return (start, Vec::new());
        };
        // A failed lookup (logged out elsewhere, busy) just offers nothing.
        let users = session
            .search_users(&before[start..], Some(USERNAME_COMPLETIONS))
            .unwrap_or_default();
        (start, users.into_iter().map(|user| user.username).collect())
    }
}

fn history_file() -> Option<PathBuf> {
    let dir = paths::data_dir().ok()?;
    paths::create_private_dir(&dir).ok()?;
    Some(dir.join("history.txt"))
}

fn prompt(ctx: &Context) -> String {
    match ctx.known_username() {
        Some(name) => format!("chat ({})> ", escape(name)),
        None => "chat> ".to_string(),
    }
}

fn greet(ctx: &mut Context) {
    println!(
        "chat on {}. Type `help` for the commands, `exit` or Ctrl-D to leave.",
        escape(&ctx.db_path().display().to_string())
    );
    let who = ctx.session().and_then(|session| Ok(session.me()?));
    match who {
        Ok(user) => {
            ctx.remember_username(&user.username);
            println!("Logged in as {}.", escape(&user.username));
        }
        Err(CliError::NotLoggedIn) => {
            println!("Not logged in: `register --email E --username U` or `login --email E`.")
        }
        Err(err) => {
            let err = ctx.explain_session_error(err);
            report_error(&err, false);
        }
    }
}

fn interactive(ctx: &mut Context) -> u8 {
    let config = Config::builder()
        .history_ignore_space(true)
        .auto_add_history(false)
        .build();
    let mut editor = match Editor::<ReplHelper, DefaultHistory>::with_config(config) {
        Ok(editor) => editor,
        Err(err) => {
            return report_error(
                &CliError::io("cannot start the line editor", io::Error::other(err)),
                ctx.json,
            );
        }
    };
    editor.set_helper(Some(ReplHelper::new()));
    let history = history_file();
    if let Some(path) = &history {
        // A missing or unreadable history only means starting without one.
        let _ = editor.load_history(path);
    }
    greet(ctx);
    loop {
        if let Some(helper) = editor.helper_mut() {
            helper.session = ctx.session_in_memory();
        }
        match editor.readline(&prompt(ctx)) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if run_line(ctx, &line, &mut io::stdout().lock()).is_none() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(err) => {
                report_error(
                    &CliError::io("cannot read the line", io::Error::other(err)),
                    ctx.json,
                );
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_a_completion() {
        let words = ReplHelper::new().words;
        for name in ["import", "export", "backup", "send", "exit"] {
            assert!(words.iter().any(|word| word == name), "{name}: {words:?}");
        }
    }
}
