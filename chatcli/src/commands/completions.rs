//! `completions`: shell completion scripts.

use super::written;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::CliResult;
use clap::CommandFactory;
use std::io::Write;

/// `chat completions SHELL`: writes the completion script (the same with or without --json).
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> CliResult<()> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "chat", &mut buffer);
    written(out.write_all(&buffer))
}
