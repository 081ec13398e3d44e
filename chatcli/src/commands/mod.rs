//! One module per command, each with a `run` that writes to an `impl Write`.

use crate::cli::Command;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use std::io::Write;

pub mod account;
pub mod backup;
pub mod completions;
pub mod copy;
pub mod delete;
pub mod demo;
pub mod export;
pub mod import;
pub mod life;
pub mod messages;
pub mod open;
pub mod read;
pub mod rekey;
pub mod search;
pub mod send;
pub mod sessions;
pub mod set_password;
pub mod threads;
pub mod unread;
pub mod users;
pub mod watch;

/// Runs one parsed command, writing its result to `out`.
///
/// A session error from the store (logged out or revoked elsewhere, expired)
/// comes back as [`CliError::SessionLost`] with a "log in again" hint.
pub fn run(ctx: &mut Context, command: Command, out: &mut dyn Write) -> CliResult<()> {
    let result = match command {
        Command::Register(args) => account::register(ctx, &args, out),
        Command::Login(args) => account::login(ctx, &args, out),
        Command::Logout => account::logout(ctx, out),
        Command::Whoami => account::whoami(ctx, out),
        Command::Users(args) => users::run(ctx, &args, out),
        Command::Threads(args) => threads::run(ctx, &args, out),
        Command::Open(args) => open::run(ctx, &args, out),
        Command::Send(args) => send::run(ctx, &args, out),
        Command::Edit(args) => life::edit(ctx, &args, out),
        Command::Unsend(args) => life::unsend(ctx, &args, out),
        Command::Clear(args) => life::clear(ctx, &args, out),
        Command::Messages(args) => messages::run(ctx, &args, out),
        Command::Search(args) => search::run(ctx, &args, out),
        Command::Read(args) => read::run(ctx, &args, out),
        Command::Unread => unread::run(ctx, out),
        Command::Watch(args) => watch::run(ctx, &args, out),
        Command::Delete(args) => delete::run(ctx, &args, out),
        Command::Sessions => sessions::run(ctx, out),
        Command::Demo => demo::run(ctx, out),
        Command::Import(args) => import::run(ctx, &args, out),
        Command::Export(args) => export::run(ctx, &args, out),
        Command::Backup(args) => backup::run(ctx, &args, out),
        Command::Copy(args) => copy::run(ctx, &args, out),
        Command::Rekey(args) => rekey::run(ctx, &args, out),
        Command::SetPassword(args) => set_password::run(ctx, &args, out),
        Command::Completions(args) => completions::run(&args, out),
    };
    result.map_err(|err| ctx.explain_session_error(err))
}

/// Maps a failed write to stdout into a [`CliError`].
pub(crate) fn written(result: std::io::Result<()>) -> CliResult<()> {
    result.map_err(|err| CliError::io("cannot write the output", err))
}
