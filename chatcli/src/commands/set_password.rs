//! `set-password USER [--password-stdin]`: an administrator sets a user's password.

use super::written;
use crate::cli::SetPasswordArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::{emit, escape};
use crate::user_arg::resolve;
use chatcore::UserId;
use serde::Serialize;
use std::io::Write;

/// The JSON of `set-password`.
#[derive(Serialize)]
struct PasswordSet {
    user_id: UserId,
    password_set: bool,
}

/// `chat set-password`: sets the password of the user USER names (see
/// [`crate::user_arg`]), which ends all of their sessions. No login is needed:
/// whoever can write the database file administers it.
pub fn run(ctx: &mut Context, args: &SetPasswordArgs, out: &mut dyn Write) -> CliResult<()> {
    // Find the user first, so a bad path or an unknown user fails before
    // the prompt.
    let stdin = if args.password_stdin {
        " --password-stdin"
    } else {
        ""
    };
    let store = ctx.store()?;
    let user = resolve(
        |text| store.find_user(text),
        &args.user,
        |who| hint::command(&format!("set-password {who}{stdin}")),
    )?;
    if ctx.stdin_is_terminal() {
        // Say whose password is about to change before it is typed.
        let who = format!("{} <{}> (user {})", user.username, user.email, user.id);
        eprintln!("Setting the password of {}.", escape(&who));
    }
    let password = ctx.password(args.password_stdin, true)?;
    ctx.store()?.set_password(user.id, &password)?;
    let value = PasswordSet {
        user_id: user.id,
        password_set: true,
    };
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Password set for {} <{}> (user {}). Their sessions have ended; \
             they log in with it now: {}",
            user.username,
            user.email,
            user.id,
            hint::command(&format!("login --email {}", shell_word(&user.email)))
        )
    }))
}

/// `word` as one shell word, single-quoted when it holds anything beyond
/// the characters most addresses are made of (an email's local part may
/// hold `'`, `$`, `&`, …), so the printed hint can be pasted as is.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@._+-:".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn a_hint_address_is_one_shell_word() {
        assert_eq!(shell_word("bert@example.com"), "bert@example.com");
        assert_eq!(shell_word("a+b.c-d_e@x.org"), "a+b.c-d_e@x.org");
        assert_eq!(shell_word("o'neil@example.com"), r"'o'\''neil@example.com'");
        assert_eq!(shell_word("$HOME&x@example.com"), "'$HOME&x@example.com'");
    }
}
