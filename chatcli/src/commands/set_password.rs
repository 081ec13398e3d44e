//! `set-password USER_ID [--password-stdin]`: an administrator sets a user's password.

use super::written;
use crate::cli::SetPasswordArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use chatcore::UserId;
use serde::Serialize;
use std::io::Write;

/// The JSON of `set-password`.
#[derive(Serialize)]
struct PasswordSet {
    user_id: UserId,
    password_set: bool,
}

/// `chat set-password`: sets the password of the user with this id, which
/// ends all of their sessions. No login is needed: whoever can write the
/// database file administers it.
pub fn run(ctx: &mut Context, args: &SetPasswordArgs, out: &mut dyn Write) -> CliResult<()> {
    // Open the database first, so a bad path fails before the prompt.
    ctx.store()?;
    let password = ctx.password(args.password_stdin, true)?;
    let user_id = UserId(args.user);
    ctx.store()?.set_password(user_id, &password)?;
    let value = PasswordSet {
        user_id,
        password_set: true,
    };
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Password set for user {user_id}. Their sessions have ended; \
             they log in with it now: chat login --email …"
        )
    }))
}
