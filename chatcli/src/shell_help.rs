//! The grammar and help as the shell shows them: the same commands as
//! [`Cli`], written without the program name (`login --email E`, not
//! `chat login --email E`), without `--db` (chosen when `chat` starts) and
//! without `completions` (a script for the system shell).

use crate::cli::Cli;
use clap::CommandFactory;
use std::fmt::Write as _;

/// Commands of the one-shot grammar that the shell does not show.
const NOT_IN_SHELL: [&str; 1] = ["completions"];

/// [`Cli`]'s grammar for lines typed in the shell.
pub fn command() -> clap::Command {
    // Each usage line as the one-shot grammar renders it, without `chat `.
    let mut one_shot = Cli::command();
    one_shot.build();
    let usages: Vec<(String, String)> = one_shot
        .get_subcommands_mut()
        // `help` is clap's, added by `build`; the shell has its own.
        .filter(|sub| sub.get_name() != "help")
        .map(|sub| {
            let usage = sub.render_usage().to_string();
            let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
            let usage = usage.strip_prefix("chat ").unwrap_or(usage);
            (sub.get_name().to_string(), usage.to_string())
        })
        .collect();
    let names: Vec<String> = usages.iter().map(|(name, _)| name.clone()).collect();
    let mut cli = Cli::command()
        .override_usage("COMMAND [OPTIONS] [ARGS] (`help` lists the commands)")
        .mut_arg("db", |arg| arg.hide(true));
    for (name, usage) in &usages {
        cli = cli.mut_subcommand(name, |sub| {
            let hidden = NOT_IN_SHELL.contains(&sub.get_name());
            let about = sub
                .get_long_about()
                .map(|text| without_program_name(&text.to_string(), &names));
            let examples = sub
                .get_after_long_help()
                .map(|text| shell_examples(&text.to_string()));
            let sub = sub.hide(hidden).override_usage(usage);
            let sub = match about {
                Some(about) => sub.long_about(about),
                None => sub,
            };
            match examples {
                Some(examples) => sub.after_long_help(examples),
                None => sub,
            }
        });
    }
    cli
}

/// `text` with each `` `chat COMMAND`` reference written `` `COMMAND``.
fn without_program_name(text: &str, commands: &[String]) -> String {
    let mut text = text.to_string();
    for name in commands {
        text = text.replace(&format!("`chat {name}"), &format!("`{name}"));
    }
    text
}

/// The examples of a command's long help as typed in the shell: `chat `
/// dropped, and examples that need the system shell (`&&`, pipes,
/// redirections, `$(…)`) left out.
fn shell_examples(text: &str) -> String {
    let system_shell = ["&&", "|", ">", "<", "$(", ";"];
    let kept: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("  chat "))
        .filter(|example| !system_shell.iter().any(|op| example.contains(op)))
        .map(|example| format!("  {example}"))
        .collect();
    match kept.len() {
        0 => String::new(),
        1 => format!("Example:\n{}", kept[0]),
        _ => format!("Examples:\n{}", kept.join("\n")),
    }
}

/// What `help` prints in the shell: its commands (from the grammar), its
/// own words and keys.
pub fn overview() -> String {
    let cli = command();
    let commands: Vec<(String, String)> = cli
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| {
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            (sub.get_name().to_string(), about)
        })
        .collect();
    let width = commands
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from("Commands:\n");
    for (name, about) in &commands {
        let _ = writeln!(text, "  {name:width$}  {about}");
    }
    text.push_str(
        "\n\
         Add --json to a command for JSON output. A line that starts with `chat `\n\
         (a pasted one-shot command) works too.\n\
         \n\
         In the shell:\n\
         \x20 help [COMMAND]  this help, or a command's (also COMMAND --help)\n\
         \x20 exit, quit      leave the shell (also Ctrl-D)\n\
         \n\
         Keys:\n\
         \x20 Tab         complete a command, an option (after -), or a username\n\
         \x20             after open and send --to\n\
         \x20 Up, Down    the history (a line that starts with a space is not kept)\n\
         \x20 Ctrl-R      search the history\n\
         \x20 Ctrl-C      drop the line being typed, or cancel the command's question\n\
         \x20             (a password, a [y/N]); the shell goes on\n\
         \x20 Ctrl-D      leave the shell\n",
    );
    text
}

/// What `help COMMAND` prints: the command's long help, as the shell shows
/// it; `None` for a name that is not a command of the shell.
pub fn for_command(name: &str) -> Option<String> {
    let mut cli = command();
    cli.build();
    let sub = cli
        .get_subcommands_mut()
        .find(|sub| sub.get_name() == name && !sub.is_hide_set())?;
    Some(sub.render_long_help().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_drop_the_program_name_and_system_shell_lines() {
        let text = "Examples:\n  chat import db_dump.json --dry-run\n  \
                    chat import db_dump.json && chat login --email a@b.c\n";
        assert_eq!(
            shell_examples(text),
            "Example:\n  import db_dump.json --dry-run"
        );
        assert_eq!(
            shell_examples("Example:\n  printf x | chat set-password 2\n"),
            ""
        );
    }

    #[test]
    fn every_command_of_the_shell_has_an_example_typed_as_in_the_shell() {
        let mut cli = command();
        cli.build();
        for sub in cli.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            let name = sub.get_name();
            if name == "help" {
                continue;
            }
            let text = for_command(name).expect(name);
            let (_, examples) = text
                .split_once("\nExample:\n")
                .or_else(|| text.split_once("\nExamples:\n"))
                .unwrap_or_else(|| panic!("{name}: no example in\n{text}"));
            for line in examples.trim_end().lines() {
                assert!(line.starts_with(&format!("  {name}")), "{name}: {line:?}");
            }
        }
    }

    #[test]
    fn the_overview_lists_the_shell_commands_and_words() {
        let text = overview();
        for word in [
            "login",
            "send",
            "set-password",
            "help [COMMAND]",
            "exit",
            "Ctrl-C",
            "Tab",
        ] {
            assert!(text.contains(word), "{word}: {text}");
        }
        for word in ["completions", "--db", "Usage: chat"] {
            assert!(!text.contains(word), "{word}: {text}");
        }
    }

    #[test]
    fn command_help_is_written_for_the_shell() {
        let text = for_command("login").expect("login");
        assert!(text.contains("Usage: login"), "{text}");
        assert!(text.contains("  login --email ann@example.com"), "{text}");
        assert!(!text.contains("chat "), "{text}");
        assert!(!text.contains("--db"), "{text}");
        let text = for_command("messages").expect("messages");
        assert!(text.contains("with `read`"), "{text}");
        assert!(for_command("completions").is_none());
        assert!(for_command("frobnicate").is_none());
    }
}
