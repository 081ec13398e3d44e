//! Questions asked on the terminal: a hidden password and a yes/no.
//!
//! They are read through rustyline, on the terminal itself (`/dev/tty`), in
//! its raw mode: Ctrl-C and Ctrl-D are keys there, not signals, so either
//! one cancels the question ([`CliError::Cancelled`]) and rustyline puts the
//! terminal back as it found it (echo on) before returning. A prompt that
//! turned echo off and let SIGINT end the process (as `rpassword` does)
//! would end the whole shell and, started from a shell that does not reset
//! the terminal (dash), leave it without echo.
//!
//! On a terminal rustyline cannot drive (`TERM=dumb`), the password falls
//! back to `rpassword`'s echo-off prompt, so it is never shown.

use crate::error::{CliError, CliResult};
use rustyline::config::{Behavior, Configurer};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::history::DefaultHistory;
use rustyline::{ColorMode, Completer, Config, Editor, Helper, Hinter, Validator};
use std::borrow::Cow;
use std::io;

/// Draws every character of the line as a space (with the cursor hidden),
/// so nothing of a password shows.
#[derive(Completer, Helper, Hinter, Validator)]
struct Mask;

impl Highlighter for Mask {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Owned(" ".repeat(line.chars().count()))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        kind != CmdKind::MoveCursor
    }
}

fn editor<H: Helper>(helper: Option<H>) -> CliResult<Editor<H, DefaultHistory>> {
    let config = Config::builder()
        .behavior(Behavior::PreferTerm)
        .auto_add_history(false)
        .max_history_size(0)
        .map_err(unusable)?
        .build();
    let mut editor = Editor::with_config(config).map_err(unusable)?;
    editor.set_helper(helper);
    Ok(editor)
}

fn unusable(err: ReadlineError) -> CliError {
    CliError::io("cannot use the terminal", io::Error::other(err))
}

/// What a question's answer came back as.
fn answer(result: Result<String, ReadlineError>) -> CliResult<String> {
    match result {
        Ok(line) => Ok(line),
        Err(ReadlineError::Interrupted | ReadlineError::Eof) => Err(CliError::Cancelled),
        Err(err) => Err(CliError::io(
            "cannot read from the terminal",
            io::Error::other(err),
        )),
    }
}

/// Reads a password on the terminal without showing it.
///
/// # Errors
/// [`CliError::Cancelled`] on Ctrl-C or Ctrl-D; [`CliError::Io`] when the
/// terminal cannot be read.
pub fn password(prompt: &str) -> CliResult<String> {
    if unsupported_terminal() {
        return rpassword::prompt_password(prompt)
            .map_err(|err| CliError::io("cannot read the password from the terminal", err));
    }
    let mut editor = editor(Some(Mask))?;
    editor.set_color_mode(ColorMode::Forced);
    // Hiding the cursor is cosmetic: a terminal that cannot still masks.
    let mut cursor = editor.set_cursor_visibility(false).ok().flatten();
    let result = editor.readline(prompt);
    cursor.take();
    answer(result)
}

/// Reads one line of answer on the terminal (shown as typed).
///
/// # Errors
/// As [`password`].
pub fn line(prompt: &str) -> CliResult<String> {
    answer(editor::<()>(None)?.readline(prompt))
}

/// A terminal rustyline does not edit on (it would echo what is typed).
fn unsupported_terminal() -> bool {
    std::env::var("TERM").is_ok_and(|term| {
        ["dumb", "cons25", "emacs"]
            .iter()
            .any(|bad| bad.eq_ignore_ascii_case(&term))
    })
}
