//! Tab completion in the shell: command names, each command's options (from
//! the clap grammar), and usernames after `open` and `send --to`.

use crate::shell_help;
use rustyline::completion::Completer;
use rustyline::{Helper, Highlighter, Hinter, Validator};
use std::collections::BTreeMap;

/// Words the shell understands besides the commands.
pub const SHELL_WORDS: [&str; 3] = ["help", "exit", "quit"];

/// How many usernames one Tab offers at most.
const USERNAME_COMPLETIONS: u32 = 20;

/// The shell's completer (rustyline's helper).
#[derive(Helper, Hinter, Highlighter, Validator)]
pub struct ShellCompleter {
    /// Command names and [`SHELL_WORDS`], sorted.
    words: Vec<String>,
    /// Each command's long options (`--limit`, …), as the grammar has them.
    options: BTreeMap<String, Vec<String>>,
    /// The logged-in session, for usernames; `None` offers none.
    pub session: Option<chatcore::Session>,
}

impl ShellCompleter {
    /// The completer for the shell's grammar ([`shell_help::command`]).
    pub fn new() -> ShellCompleter {
        let mut grammar = shell_help::command();
        grammar.build();
        let mut words = Vec::new();
        let mut options = BTreeMap::new();
        for sub in grammar.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            let name = sub.get_name().to_string();
            if SHELL_WORDS.contains(&name.as_str()) {
                continue;
            }
            let longs: Vec<String> = sub
                .get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .filter_map(|arg| arg.get_long())
                .map(|long| format!("--{long}"))
                .collect();
            options.insert(name.clone(), longs);
            words.push(name);
        }
        words.extend(SHELL_WORDS.iter().map(|word| word.to_string()));
        words.sort();
        ShellCompleter {
            words,
            options,
            session: None,
        }
    }

    /// Candidates for the word that ends at the end of `before`, and where
    /// that word starts.
    fn candidates(&self, before: &str) -> (usize, Vec<String>) {
        let start = before
            .rfind(char::is_whitespace)
            .map_or(0, |space| space + 1);
        let word = &before[start..];
        let mut previous: Vec<&str> = before[..start].split_whitespace().collect();
        // A pasted one-shot command line.
        if previous.first() == Some(&"chat") {
            previous.remove(0);
        }
        let starting = |candidates: &mut dyn Iterator<Item = &String>| -> Vec<String> {
            candidates
                .filter(|candidate| candidate.starts_with(word))
                .cloned()
                .collect()
        };
        let Some(command) = previous.first() else {
            return (start, starting(&mut self.words.iter()));
        };
        if *command == "help" && previous.len() == 1 {
            return (start, starting(&mut self.options.keys()));
        }
        if word.starts_with('-') {
            let Some(options) = self.options.get(*command) else {
                return (start, Vec::new());
            };
            let mut unused = options
                .iter()
                .filter(|option| !previous.contains(&option.as_str()));
            return (start, starting(&mut unused));
        }
        let wants_user = matches!(previous.as_slice(), ["open"] | ["send", .., "--to"]);
        if wants_user {
            return (start, self.usernames(word));
        }
        (start, Vec::new())
    }

    /// Usernames starting with `prefix`, without the logged-in user's own
    /// (a thread needs two people), each spelled so that it names that
    /// account alone (`username:2` for a name that could be an id).
    fn usernames(&self, prefix: &str) -> Vec<String> {
        let Some(session) = &self.session else {
            return Vec::new();
        };
        // A failed lookup (logged out elsewhere, busy) just offers nothing.
        let users = session
            .search_users(prefix, Some(USERNAME_COMPLETIONS + 1))
            .unwrap_or_default();
        users
            .into_iter()
            .filter(|user| user.id != session.user_id())
            .take(USERNAME_COMPLETIONS as usize)
            .map(|user| chatcore::UserRef::username_spelling(&user.username))
            .collect()
    }
}

impl Default for ShellCompleter {
    fn default() -> ShellCompleter {
        ShellCompleter::new()
    }
}

impl Completer for ShellCompleter {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(&line[..pos]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(before: &str) -> Vec<String> {
        ShellCompleter::new().candidates(before).1
    }

    #[test]
    fn the_first_word_is_a_command_or_a_shell_word() {
        let words = ShellCompleter::new().words;
        for name in ["import", "export", "backup", "send", "help", "exit", "quit"] {
            assert!(words.iter().any(|word| word == name), "{name}: {words:?}");
        }
        assert!(!words.iter().any(|word| word == "completions"), "{words:?}");
        assert_eq!(complete("unr"), ["unread"]);
        assert_eq!(complete("  unr"), ["unread"]);
        assert_eq!(complete("help mes"), ["messages"]);
    }

    #[test]
    fn options_come_from_the_grammar_of_the_command_typed() {
        assert_eq!(complete("messages 3 --l"), ["--limit"]);
        let all = complete("messages 3 --");
        for option in ["--before", "--after", "--limit", "--json", "--help"] {
            assert!(all.iter().any(|o| o == option), "{option}: {all:?}");
        }
        assert!(!all.iter().any(|o| o == "--db"), "{all:?}");
        assert_eq!(complete("read --th"), ["--thread"]);
        assert_eq!(complete("chat read --th"), ["--thread"]);
        // An option already given is not offered again.
        assert!(!complete("messages 3 --limit 5 --").contains(&"--limit".to_string()));
        assert!(complete("frobnicate --").is_empty());
    }
}
