//! A USER argument (`open USER`, `send --to USER`, `set-password USER`):
//! the core's lookup ([`chatcore::UserRef::parse`]), and, when bare text
//! could name two accounts, an error that says exactly what to type instead.
//!
//! USER is `id:N`, `username:NAME`, `email:ADDRESS`, or bare text that names
//! exactly one account (as an email if it has an `@`, a username, or an id
//! if it is all digits). Nothing is ever done on a guess.

use crate::error::{CliError, CliResult};
use chatcore::{Error, User};

/// Finds the user `text` names with `find` (a session's or the store's
/// `find_user`). On [`Error::AmbiguousUser`], `command` turns each
/// candidate's explicit spelling into the whole command line to type.
pub fn resolve(
    find: impl FnOnce(&str) -> chatcore::Result<User>,
    text: &str,
    command: impl Fn(&str) -> String,
) -> CliResult<User> {
    match find(text) {
        Ok(user) => Ok(user),
        Err(Error::AmbiguousUser { text, candidates }) => {
            let choices = candidates
                .iter()
                .map(|c| Choice {
                    whom: format!("user {} ({})", c.user_id, c.username),
                    command: command(&crate::commands::set_password::shell_word(&c.spelling)),
                })
                .collect();
            Err(CliError::AmbiguousUser {
                source: Error::AmbiguousUser { text, candidates },
                choices,
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// One way out of an ambiguous USER: whom it names and the command to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The account, for people: `user 2 (bob)`.
    pub whom: String,
    /// The whole command line naming it explicitly.
    pub command: String,
}

/// The message of [`CliError::AmbiguousUser`]: one line per account, with
/// the command that names it.
pub fn ambiguity_message(source: &Error, choices: &[Choice]) -> String {
    let text = match source {
        Error::AmbiguousUser { text, .. } => text.as_str(),
        _ => "",
    };
    let width = choices.iter().map(|c| c.whom.len()).max().unwrap_or(0);
    let mut message = format!(
        "{text:?} could name {} different accounts, so nothing was done; type one of:",
        choices.len()
    );
    for choice in choices {
        message.push_str(&format!(
            "\n  {:width$}  {}",
            format!("{}:", choice.whom),
            choice.command,
            width = width + 1
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatcore::{UserCandidate, UserId};

    #[test]
    fn an_ambiguity_lists_one_command_per_account() {
        let candidates = vec![
            UserCandidate {
                spelling: "username:2".into(),
                user_id: UserId(3),
                username: "2".into(),
            },
            UserCandidate {
                spelling: "email:o'neil@example.com".into(),
                user_id: UserId(2),
                username: "bob".into(),
            },
        ];
        let err = resolve(
            |_| {
                Err(Error::AmbiguousUser {
                    text: "2".into(),
                    candidates,
                })
            },
            "2",
            |who| format!("chat open {who}"),
        )
        .unwrap_err();
        assert_eq!(err.code(), "ambiguous_user");
        assert_eq!(
            err.to_string(),
            "\"2\" could name 2 different accounts, so nothing was done; type one of:\n  \
             user 3 (2):    chat open username:2\n  \
             user 2 (bob):  chat open 'email:o'\\''neil@example.com'"
        );
    }

    #[test]
    fn other_errors_pass_through() {
        let err = resolve(
            |_| Err(Error::UserNotFound("x".into())),
            "x",
            |who| who.to_string(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "user_not_found");
    }
}
