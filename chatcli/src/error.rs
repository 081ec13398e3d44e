//! The CLI's errors, their machine codes and exit codes, in one place.

use crate::hint;
use std::io;

/// Exit code of a command that succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit code of a command that failed.
pub const EXIT_ERROR: u8 = 1;
/// Exit code of a command line that could not be understood.
pub const EXIT_USAGE: u8 = 2;

/// Everything that can make a `chat` command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The core refused or failed; its code is the SPEC's.
    #[error("{0}")]
    Core(#[from] chatcore::Error),
    /// The stored local session was logged out, revoked or has expired.
    // The core's message ends with "log in again"; this adds how.
    #[error("{}: {}", .source, hint::command(&format!("login --email {}", .email.as_deref().unwrap_or("…"))))]
    SessionLost {
        /// Why the session is gone (`SessionInvalid` or `SessionExpired`).
        source: chatcore::Error,
        /// The email the session was opened with, for the hint.
        email: Option<String>,
    },
    /// No local session for this database.
    #[error(
        "not logged in: run `{}` (or `{}`)",
        hint::command("login --email …"),
        hint::command("register …")
    )]
    NotLoggedIn,
    /// The command line is not usable as given.
    #[error("{0}")]
    Usage(String),
    /// The user answered no to a confirmation.
    #[error("cancelled; nothing was changed")]
    Cancelled,
    /// A USER that could name two accounts; nothing was done. Says the
    /// command to type for each (`source` is the core's `AmbiguousUser`).
    #[error("{}", crate::user_arg::ambiguity_message(.source, .choices))]
    AmbiguousUser {
        /// The core's error, with the candidates.
        source: chatcore::Error,
        /// For each candidate, whom it names and the command to type.
        choices: Vec<crate::user_arg::Choice>,
    },
    /// Reading or writing a local file or the terminal failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: io::Error,
    },
}

impl CliError {
    /// The stable machine code: [`chatcore::Error::code`] for core errors,
    /// otherwise one of `not_logged_in`, `usage`, `cancelled`, `io`.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Core(err) => err.code(),
            CliError::SessionLost { source, .. } => source.code(),
            CliError::AmbiguousUser { source, .. } => source.code(),
            CliError::NotLoggedIn => "not_logged_in",
            CliError::Usage(_) => "usage",
            CliError::Cancelled => "cancelled",
            CliError::Io { .. } => "io",
        }
    }

    /// The process exit code for this error: 2 for usage, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            _ => EXIT_ERROR,
        }
    }

    /// An [`CliError::Io`] with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> CliError {
        CliError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for results of CLI commands.
pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_session_keeps_the_core_code_and_says_how_to_log_in_again() {
        let err = CliError::SessionLost {
            source: chatcore::Error::SessionExpired,
            email: Some("ann@example.com".into()),
        };
        assert_eq!(err.code(), "session_expired");
        assert_eq!(err.exit_code(), EXIT_ERROR);
        let message = err.to_string();
        assert!(message.contains("expired"), "{message}");
        assert!(
            message.ends_with("log in again: chat login --email ann@example.com"),
            "{message}"
        );
    }

    #[test]
    fn usage_errors_exit_2_and_others_1() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(CliError::NotLoggedIn.exit_code(), EXIT_ERROR);
        assert_eq!(CliError::Cancelled.code(), "cancelled");
        let core = CliError::from(chatcore::Error::NotRecipient);
        assert_eq!(
            (core.code(), core.exit_code()),
            ("not_recipient", EXIT_ERROR)
        );
    }
}
