//! How the commands that output and errors suggest are written: `chat
//! login …` after a one-shot command, `login …` inside the shell (where the
//! suggestion is typed at the `chat>` prompt). Every hint goes through
//! [`command`], so each is written once.

use std::cell::Cell;

thread_local! {
    /// Whether this thread is running the interactive or piped shell.
    static IN_SHELL: Cell<bool> = const { Cell::new(false) };
}

/// `rest` written as the user would type it here: `chat rest` for a one-shot
/// command, `rest` inside the shell.
///
/// `rest` is a command line without the program name, e.g. `login --email E`.
pub fn command(rest: &str) -> String {
    if in_shell() {
        rest.to_string()
    } else {
        format!("chat {rest}")
    }
}

/// Whether hints are written for the shell on this thread.
pub fn in_shell() -> bool {
    IN_SHELL.with(Cell::get)
}

/// Writes hints for the shell on this thread until the guard is dropped.
#[must_use = "hints go back to the one-shot form when the guard is dropped"]
pub fn enter_shell() -> ShellGuard {
    let was = IN_SHELL.with(|flag| flag.replace(true));
    ShellGuard { was }
}

/// Returned by [`enter_shell`]; restores the previous form when dropped.
pub struct ShellGuard {
    was: bool,
}

impl Drop for ShellGuard {
    fn drop(&mut self) {
        IN_SHELL.with(|flag| flag.set(self.was));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_drop_the_program_name_only_inside_the_shell() {
        assert_eq!(command("send 1 TEXT"), "chat send 1 TEXT");
        {
            let _shell = enter_shell();
            assert_eq!(command("send 1 TEXT"), "send 1 TEXT");
            assert_eq!(
                crate::error::CliError::NotLoggedIn.to_string(),
                "not logged in: run `login --email …` (or `register …`)"
            );
        }
        assert_eq!(command("login --email E"), "chat login --email E");
        assert!(
            crate::error::CliError::NotLoggedIn
                .to_string()
                .contains("`chat login --email …`")
        );
    }
}
