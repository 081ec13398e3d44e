//! `chat`, the terminal client of chatcore: one-shot commands and a REPL
//! over one command grammar ([`cli::Cli`]).
//!
//! Each command lives in its own module under [`commands`] and writes to any
//! `impl Write`; [`output`] prints for people or as JSON; [`error`] maps
//! every failure to a machine code and an exit code.

#![warn(missing_docs)]

pub mod cli;
pub mod commands;
pub mod context;
pub mod db_key;
pub mod error;
pub mod hint;
pub mod live;
pub mod local_session;
pub mod output;
pub mod paths;
pub mod prompt;
pub mod repl;
pub mod shell_complete;
pub mod shell_help;
pub mod table;
pub mod timefmt;
pub mod user_arg;

use clap::Parser;
use clap::error::ErrorKind;
use cli::Cli;
use context::Context;
use error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_USAGE};
use std::io::{self, Write};
use std::process::ExitCode;

/// Writes a clap parse failure: help and version to stdout (success),
/// anything else as a usage error. Returns the exit code.
pub fn report_clap_error(err: &clap::Error, json: bool) -> u8 {
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            EXIT_OK
        }
        _ => report_clap_error_to(&mut io::stderr(), err, json),
    }
}

/// [`report_clap_error`], with usage errors written to `to` (plain text:
/// clap quotes the refused arguments, which are shown escaped like any other
/// text); help and version still go to stdout.
pub fn report_clap_error_to(to: &mut dyn Write, err: &clap::Error, json: bool) -> u8 {
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => report_clap_error(err, json),
        _ => {
            let text = err.render().to_string();
            let _ = output::write_usage_error(to, json, &text);
            EXIT_USAGE
        }
    }
}

/// Writes a command's failure to stderr and returns its exit code.
pub fn report_error(err: &CliError, json: bool) -> u8 {
    report_error_to(&mut io::stderr(), err, json)
}

/// [`report_error`], written to `to`.
pub fn report_error_to(to: &mut dyn Write, err: &CliError, json: bool) -> u8 {
    let _ = output::emit_error(to, json, err);
    err.exit_code()
}

/// The whole program: parse the arguments, then run one command or the REPL.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let json = std::env::args().skip(1).any(|arg| arg == "--json");
            return ExitCode::from(report_clap_error(&err, json));
        }
    };
    ExitCode::from(run_cli(cli))
}

fn run_cli(cli: Cli) -> u8 {
    let json = cli.json;
    if let Some(cli::Command::Completions(args)) = &cli.command {
        return match commands::completions::run(args, &mut io::stdout().lock()) {
            Ok(()) => EXIT_OK,
            Err(err) => report_error(&err, json),
        };
    }
    let setup = paths::database(cli.db.as_deref()).and_then(|db| Ok((db, paths::state_dir()?)));
    let (db, state_dir) = match setup {
        Ok(found) => found,
        Err(err) => return report_error(&err, json),
    };
    let mut ctx = Context::for_process(db, state_dir);
    ctx.json = json;
    if let Err(err) = ctx.load_key(cli.key_stdin) {
        return report_error(&err, json);
    }
    match cli.command {
        Some(command) => {
            let mut stdout = io::stdout().lock();
            match commands::run(&mut ctx, command, &mut stdout) {
                Ok(()) => match stdout.flush() {
                    Ok(()) => EXIT_OK,
                    Err(_) => EXIT_ERROR,
                },
                Err(err) => report_error(&err, json),
            }
        }
        None => repl::run(&mut ctx),
    }
}
