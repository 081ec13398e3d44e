//! The interactive shell: each line is split shell-style and parsed by the
//! clap grammar of one-shot commands (as [`shell_help::command`] shows it,
//! without `chat`), so a command behaves the same in both. When standard
//! input is not a terminal, lines are read from it and a failure names its
//! line. Completion is in [`crate::shell_complete`], prompts that a command
//! asks in [`crate::prompt`].

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{CliError, EXIT_OK};
use crate::output::escape;
use crate::shell_complete::ShellCompleter;
use crate::{
    commands, hint, paths, report_clap_error, report_clap_error_to, report_error, report_error_to,
    shell_help,
};
use clap::FromArgMatches;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use std::io::{self, Write};
use std::path::PathBuf;

/// Runs the shell until `exit`, Ctrl-D or the end of standard input.
///
/// Returns the exit code: 0 in a terminal; when reading piped lines, the
/// code of the last line that failed (0 if none did).
pub fn run(ctx: &mut Context) -> u8 {
    let _shell = hint::enter_shell();
    if ctx.stdin_is_terminal() {
        interactive(ctx)
    } else {
        piped(ctx)
    }
}

/// Where the shell writes a line's failure: to stderr as is (coloured on a
/// terminal), or into a buffer to be marked with its line number.
enum Failures<'a> {
    Stderr,
    Buffer(&'a mut Vec<u8>),
}

impl Failures<'_> {
    fn command(&mut self, err: &CliError, json: bool) -> u8 {
        match self {
            Failures::Stderr => report_error(err, json),
            Failures::Buffer(buffer) => report_error_to(*buffer, err, json),
        }
    }

    fn usage(&mut self, err: &clap::Error, json: bool) -> u8 {
        match self {
            Failures::Stderr => report_clap_error(err, json),
            Failures::Buffer(buffer) => report_clap_error_to(*buffer, err, json),
        }
    }
}

/// What one line of the shell asks for, found without running anything.
#[derive(Debug)]
pub enum Line {
    /// An empty line or a `#` comment.
    Nothing,
    /// `exit` or `quit`.
    Exit,
    /// `help`, `help COMMAND` (the words after `help`), or `--help`.
    Help(Vec<String>),
    /// A command of the grammar (its `--db` is refused when it runs).
    Command(Box<Cli>),
    /// Unbalanced quotes or a trailing backslash.
    Unbalanced,
    /// clap's refusal of the words, or its help for `COMMAND --help`.
    Clap(clap::Error),
}

/// Parses one line as the shell does: split shell-style, a leading `chat`
/// (a pasted one-shot command) dropped, then the shell's words or the
/// grammar of [`shell_help::command`].
pub fn parse_line(line: &str) -> Line {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Line::Nothing;
    }
    let Some(mut words) = shlex::split(line) else {
        return Line::Unbalanced;
    };
    if words.first().is_some_and(|word| word == "chat") {
        words.remove(0);
    }
    match words.first().map(String::as_str) {
        None => return Line::Nothing,
        Some("exit" | "quit") if words.len() == 1 => return Line::Exit,
        Some("help" | "--help" | "-h") => return Line::Help(words.split_off(1)),
        Some(_) => {}
    }
    match shell_help::command()
        .try_get_matches_from(std::iter::once("chat".to_string()).chain(words))
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => Line::Command(Box::new(cli)),
        Err(err) => Line::Clap(err),
    }
}

/// Runs one line. `None` means the shell should end; otherwise the exit code
/// the line would have had as a one-shot command.
fn run_line(
    ctx: &mut Context,
    line: &str,
    out: &mut dyn Write,
    mut failures: Failures<'_>,
) -> Option<u8> {
    let cli = match parse_line(line) {
        Line::Nothing => return Some(EXIT_OK),
        Line::Exit => return None,
        Line::Help(words) => {
            return Some(match help(&words, out) {
                Ok(()) => EXIT_OK,
                Err(err) => failures.command(&err, ctx.json),
            });
        }
        Line::Unbalanced => {
            let err = CliError::Usage("unbalanced quotes or a trailing backslash".into());
            return Some(failures.command(&err, ctx.json));
        }
        Line::Clap(err) => {
            let _ = out.flush();
            return Some(failures.usage(&err, ctx.json));
        }
        Line::Command(cli) => cli,
    };
    let json = ctx.json || cli.json;
    if cli.db.is_some() {
        let err = CliError::Usage(
            "the database is chosen when chat starts: leave the shell and run chat --db PATH"
                .into(),
        );
        return Some(failures.command(&err, json));
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
        Err(err) => failures.command(&err, json),
    })
}

/// `help` and `help COMMAND`.
fn help(words: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let text = match words {
        [] => shell_help::overview(),
        [name] => shell_help::for_command(name).ok_or_else(|| {
            CliError::Usage(format!("{name:?} is not a command; `help` lists them"))
        })?,
        _ => return Err(CliError::Usage("help takes at most one COMMAND".into())),
    };
    write!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|err| CliError::io("cannot write the output", err))
}

fn piped(ctx: &mut Context) -> u8 {
    let mut last_failure = EXIT_OK;
    loop {
        let line = match ctx.read_line() {
            Ok(Some(line)) => line,
            Ok(None) => return last_failure,
            Err(err) => return report_error(&err, ctx.json),
        };
        // Counted before the command runs: a password it reads is a line too.
        let number = ctx.lines_read();
        let mut failure = Vec::new();
        let code = run_line(
            ctx,
            &line,
            &mut io::stdout().lock(),
            Failures::Buffer(&mut failure),
        );
        if !failure.is_empty() {
            let _ = io::stderr().write_all(&with_line_number(&failure, number, ctx.json));
        }
        match code {
            None => return last_failure,
            Some(EXIT_OK) => {}
            Some(code) => last_failure = code,
        }
    }
}

/// A failure of script line `number` marked with it, as sqlite3 does:
/// `line 3: error: …`, or a `"line": 3` in each JSON error.
fn with_line_number(failure: &[u8], number: u64, json: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(failure);
    if !json {
        return format!("line {number}: {text}").into_bytes();
    }
    let mut marked = String::new();
    for line in text.lines() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(mut value) if value["error"].is_object() => {
                value["error"]["line"] = number.into();
                marked.push_str(&value.to_string());
            }
            _ => marked.push_str(line),
        }
        marked.push('\n');
    }
    marked.into_bytes()
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
            println!(
                "Not logged in: `{}` or `{}`.",
                hint::command("register --email E --username U"),
                hint::command("login --email E")
            )
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
    let mut editor = match Editor::<ShellCompleter, DefaultHistory>::with_config(config) {
        Ok(editor) => editor,
        Err(err) => {
            return report_error(
                &CliError::io("cannot start the line editor", io::Error::other(err)),
                ctx.json,
            );
        }
    };
    editor.set_helper(Some(ShellCompleter::new()));
    let history = history_file();
    if let Some(path) = &history {
        // A missing or unreadable history only means starting without one.
        let _ = editor.load_history(path);
    }
    greet(ctx);
    // New incoming messages above the prompt (none if the terminal cannot).
    let live = editor
        .create_external_printer()
        .ok()
        .and_then(crate::live::Live::start);
    loop {
        if let Some(helper) = editor.helper_mut() {
            helper.session = ctx.session_in_memory();
        }
        if let Some(live) = &live {
            live.follow(ctx.session_in_memory());
        }
        match editor.readline(&prompt(ctx)) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if run_line(ctx, &line, &mut io::stdout().lock(), Failures::Stderr).is_none() {
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
    drop(live);
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_as_the_shell_reads_them() {
        assert!(matches!(parse_line("  # a comment"), Line::Nothing));
        assert!(matches!(parse_line("chat"), Line::Nothing));
        assert!(matches!(parse_line("quit"), Line::Exit));
        assert!(matches!(parse_line("chat exit"), Line::Exit));
        assert!(matches!(parse_line("send 1 'open"), Line::Unbalanced));
        match parse_line("help send") {
            Line::Help(words) => assert_eq!(words, ["send"]),
            other => panic!("{other:?}"),
        }
        match parse_line("chat messages 3 --limit 2") {
            Line::Command(cli) => assert!(format!("{cli:?}").contains("limit: Some(2)")),
            other => panic!("{other:?}"),
        }
        match parse_line("frobnicate") {
            Line::Clap(err) => assert!(!err.render().to_string().contains("Usage: chat")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failure_is_marked_with_its_line_number() {
        let text = with_line_number(b"error: thread 9 not found\n", 3, false);
        assert_eq!(text, b"line 3: error: thread 9 not found\n");
        let json = with_line_number(
            b"{\"error\":{\"code\":\"usage\",\"message\":\"m\"}}\n",
            7,
            true,
        );
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["error"]["line"], 7);
        assert_eq!(value["error"]["code"], "usage");
    }
}
