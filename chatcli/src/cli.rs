//! The one command grammar, shared by one-shot commands and the REPL.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod account;
mod data;
mod messaging;

pub use account::{LoginArgs, RegisterArgs, SetPasswordArgs};
pub use data::{BackupArgs, CopyArgs, ExportArgs, ExportFormat, ImportArgs, RekeyArgs};
pub use messaging::{
    ClearArgs, DeleteArgs, EditArgs, MessagesArgs, OpenArgs, ReadArgs, SearchArgs, SendArgs,
    ThreadsArgs, UnsendArgs, UsersArgs, WatchArgs,
};

/// A terminal client for a chatcore database: users, two-person threads and messages.
///
/// Without a command, `chat` starts an interactive shell (a REPL) that takes
/// the same commands, without `chat` (`help` there lists them and its keys).
/// When standard input is not a terminal, the commands are read from it, one
/// per line.
#[derive(Debug, Parser)]
#[command(
    name = "chat",
    version,
    after_long_help = "\
Examples:
  chat demo                              fill the database with demo users
  chat login --email ann@example.com     log in (asks for the password)
  chat threads                           your conversations
  chat                                   the interactive shell

Environment:
  CHAT_DB          the database (file or PostgreSQL URL) when --db is not given
  CHAT_STATE_DIR   where local sessions are kept (one 0600 file per database)
  CHAT_DB_KEY_FILE a file readable only by you (0600) whose first line is
                   the key of an encrypted database
  CHAT_INSECURE_FAST_PASSWORDS=1
                   debug builds only (ignored by a release build): hash new
                   passwords with the cheapest argon2 settings (INSECURE:
                   for tests only)"
)]
pub struct Cli {
    /// The database: a file, or a PostgreSQL URL (`postgresql://…`) or key-value string (`host=… dbname=…`) [default: $CHAT_DB, else the platform data directory's chat/chat.db].
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Print one JSON value per command on stdout, and errors as JSON on stderr.
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the key of an encrypted database from the first line of standard
    /// input (a hidden prompt on a terminal). Without it, the key comes from
    /// the 0600 file $CHAT_DB_KEY_FILE names, or is asked for when needed.
    #[arg(long, global = true)]
    pub key_stdin: bool,

    /// What to do; without one, the interactive shell starts.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every command of `chat`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a user, and log in as them.
    ///
    /// The password is asked for on the terminal (twice, hidden), or read
    /// from the first line of standard input with --password-stdin.
    #[command(after_long_help = "\
Example:
  chat register --email ann@example.com --username ann --first-name Ann")]
    Register(RegisterArgs),

    /// Log in: open a local session for this database.
    ///
    /// The session is kept in a file readable only by you, so later commands
    /// act as this user until `chat logout`.
    #[command(after_long_help = "\
Example:
  chat login --email ann@example.com")]
    Login(LoginArgs),

    /// End the local session, here and everywhere it is used.
    #[command(after_long_help = "\
Example:
  chat logout")]
    Logout,

    /// Show who is logged in.
    #[command(after_long_help = "\
Example:
  chat whoami")]
    Whoami,

    /// Find users whose username or email starts with QUERY (all users without one).
    #[command(after_long_help = "\
Example:
  chat users bo")]
    Users(UsersArgs),

    /// List your threads, newest activity first, with unread counts.
    #[command(after_long_help = "\
Example:
  chat threads")]
    Threads(ThreadsArgs),

    /// Open the thread with USER (a username, email or id), creating it if needed.
    ///
    /// USER is `id:N`, `username:NAME` or `email:ADDRESS`, or bare text that
    /// names exactly one account; text that could name two (a username made
    /// of digits and another user's id, say) is refused with the commands to
    /// type instead.
    #[command(after_long_help = "\
Examples:
  chat open bob
  chat open id:2")]
    Open(OpenArgs),

    /// Send a message, to a thread by id or to a user with --to.
    ///
    /// The words of the text are joined with single spaces; quote the text to
    /// keep it exactly. With --key (given before the text), a retry with
    /// the same key prints the message already sent instead of sending again.
    #[command(after_long_help = "\
Examples:
  chat send 3 see you at noon
  chat send --to bob \"hi Bob!\"
  chat send --key 6f1c2a52-0d4e-4f7b-9a53-3b1e8f2d9c10 3 \"pay the rent\"")]
    Send(SendArgs),

    /// Edit one of your own messages (within 48 hours of sending it).
    ///
    /// The words of the text are joined with single spaces; quote the text
    /// to keep it exactly. The message keeps its place; both of you see the
    /// new text, marked "(edited)".
    #[command(after_long_help = "\
Example:
  chat edit 42 see you at nine")]
    Edit(EditArgs),

    /// Withdraw one of your own messages for both of you (within 48 hours).
    ///
    /// Its text is deleted from the database; both of you see "message
    /// withdrawn" in its place. Asks for confirmation on a terminal;
    /// elsewhere --yes is required.
    #[command(after_long_help = "\
Example:
  chat unsend 42 --yes")]
    Unsend(UnsendArgs),

    /// Clear a thread's history for you only; the other participant keeps theirs.
    ///
    /// Its messages so far disappear from your history, previews and unread
    /// counts, and the thread leaves your list of threads until a new
    /// message arrives. Asks for confirmation on a terminal; elsewhere
    /// --yes is required. To delete a thread for both of you: `chat delete`.
    #[command(after_long_help = "\
Example:
  chat clear 3 --yes")]
    Clear(ClearArgs),

    /// Show a page of a thread's history, oldest first.
    ///
    /// Without --before or --after, the newest messages. New messages sent to
    /// you are marked "new"; mark them read with `chat read`.
    #[command(after_long_help = "\
Example:
  chat messages 3 --before 120 --limit 20")]
    Messages(MessagesArgs),

    /// Search your conversations; words match as typed and as prefixes.
    ///
    /// Case and accents are ignored (`cafe` finds `Café`); "quoted words"
    /// are a phrase; a leading - leaves out messages with that word; text in
    /// Chinese, Japanese or Thai is found by any 3 or more characters of it.
    /// Most relevant first, or newest first with --recent. Matches are bold
    /// on a terminal and [in brackets] otherwise. Give the options before
    /// the query: every word from the first one on is the query (so that
    /// -word excludes). --rebuild rebuilds the search index from the
    /// messages (for repair; no login needed).
    #[command(after_long_help = "\
Examples:
  chat search lunch friday
  chat search --recent \"big plan\" -draft
  chat search --thread 3 --limit 10 東京タワー")]
    Search(SearchArgs),

    /// Mark a message read, or a whole thread with --thread.
    #[command(after_long_help = "\
Examples:
  chat read 42
  chat read --thread 3")]
    Read(ReadArgs),

    /// Show how many messages sent to you are unread.
    #[command(after_long_help = "\
Example:
  chat unread")]
    Unread,

    /// Print what happens to you as it happens: new messages (thread and
    /// sender), read receipts, deleted threads; until Ctrl-C.
    ///
    /// Changes made in other processes (another `chat`, an app on the same
    /// database) show at once. With --json, one JSON object per change and
    /// line (every change, your own too), flushed as it comes.
    #[command(after_long_help = "\
Examples:
  chat watch
  chat watch --count 1")]
    Watch(WatchArgs),

    /// Delete a thread and all its messages, for both participants.
    ///
    /// Asks for confirmation on a terminal; elsewhere --yes is required.
    #[command(after_long_help = "\
Example:
  chat delete 3 --yes")]
    Delete(DeleteArgs),

    /// List your live sessions (the current one is marked).
    #[command(after_long_help = "\
Example:
  chat sessions")]
    Sessions,

    /// Fill the database with demo users and conversations (safe to repeat).
    ///
    /// The demo users' password is a public demo value: never use it for real accounts.
    #[command(after_long_help = "\
Examples:
  chat demo
  chat demo && chat login --email ann@example.com")]
    Demo,

    /// Import a Django `dumpdata` JSON file from the original service.
    ///
    /// Users (with their old password hashes, so they log in with their old
    /// passwords), threads and messages keep their ids; entries of other
    /// models are skipped and counted. The whole file goes in one
    /// transaction: a bad entry is named and nothing is imported. With
    /// --dry-run everything is checked and nothing is written. No login is
    /// needed. FILE `-` reads standard input (piped, not a terminal).
    /// Progress is shown on standard error for large files on a terminal.
    #[command(after_long_help = "\
Examples:
  chat import db_dump.json --dry-run
  chat import db_dump.json && chat login --email testlogin@example.com")]
    Import(ImportArgs),

    /// Export the store: the whole store as Django JSON, or your own data as NDJSON.
    ///
    /// `django` (the default) writes every user (with password hashes),
    /// thread and message in the `dumpdata` format that `chat import` reads
    /// back; no login is needed. `ndjson` writes the logged-in user's own
    /// threads and messages, one JSON object a line. Without --out the
    /// export goes to standard output (with --json too). --out FILE never
    /// replaces a non-empty file, and is written whole or not at all
    /// (readable only by you).
    #[command(after_long_help = "\
Examples:
  chat export --out store.json
  chat export --format ndjson > my-chats.ndjson")]
    Export(ExportArgs),

    /// Copy the whole database, consistently, to a new file (readable only by you).
    ///
    /// Safe while other programs read and write the database. FILE must not
    /// exist (or be empty); open the copy with `chat --db FILE`. The copy of
    /// an encrypted database has the same key, unless --encrypt (a new key)
    /// or --decrypt (a plain copy) is given.
    #[command(after_long_help = "\
Examples:
  chat backup chat-copy.db
  chat backup ~/chat-$(date +%F).db
  chat backup secret.db --encrypt
  chat backup plain.db --decrypt")]
    Backup(BackupArgs),

    /// Copy the whole store into an empty one: a new file, or a PostgreSQL database.
    ///
    /// Users (with password hashes), sessions, threads, messages, read
    /// state and unread counters, verified at the end. A new file is
    /// written aside and appears only when complete; an existing empty
    /// target is written in place (and left partial if the copy fails).
    /// Stop the apps first: writes during the copy make the check fail.
    #[command(after_long_help = "\
Examples:
  chat copy --to local-copy.db
  chat copy --to 'postgres://chat@db.example/chat'")]
    Copy(CopyArgs),

    /// Change the key of an encrypted database (asks for the new one twice).
    ///
    /// Crash-safe: the file opens with the old key or the new one, whatever
    /// happens. Other programs that have the database open must reopen it
    /// with the new key. A plain database gets a key with `chat backup FILE
    /// --encrypt` (a new encrypted copy) instead.
    #[command(after_long_help = "\
Examples:
  chat rekey
  printf '%s\\n' \"$OLD\" \"$NEW\" | chat rekey --key-stdin --new-key-stdin")]
    Rekey(RekeyArgs),

    /// Set a user's password, as the database's administrator (no login needed).
    ///
    /// For accounts imported from Django that cannot log in (an unusable `!`
    /// password, or inactive there), or to reset a forgotten password. All
    /// of the user's sessions end, wherever they are used. No login is
    /// needed: whoever can write the database file administers it.
    ///
    /// USER is `id:N` (the `pk` of the Django dump), `username:NAME` or
    /// `email:ADDRESS`, or bare text that names exactly one account, as in
    /// `chat open`; text that could name two is refused. The password is asked for twice on a
    /// terminal (hidden), after naming the user found, or read from the
    /// first line of standard input with --password-stdin; it is never an
    /// argument.
    #[command(after_long_help = "\
Examples:
  chat set-password bert@example.com
  printf '%s\\n' \"$NEW_PASSWORD\" | chat set-password id:2 --password-stdin")]
    SetPassword(SetPasswordArgs),

    /// Print a shell completion script.
    #[command(after_long_help = "\
Example:
  chat completions bash > ~/.local/share/bash-completion/completions/chat")]
    Completions(CompletionsArgs),
}

/// Arguments of `chat completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn send_keeps_hyphenated_text() {
        let cli = Cli::try_parse_from(["chat", "send", "3", "-1", "is", "less"]).unwrap();
        match cli.command {
            Some(Command::Send(args)) => assert_eq!(args.words, ["3", "-1", "is", "less"]),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn set_password_takes_a_user_and_never_a_password() {
        for user in ["7", "ann", "ann@example.com"] {
            let cli = Cli::try_parse_from(["chat", "set-password", user]).unwrap();
            match cli.command {
                Some(Command::SetPassword(args)) => {
                    assert_eq!(args.user, user);
                    assert!(!args.password_stdin);
                }
                other => panic!("parsed as {other:?}"),
            }
        }
        assert!(Cli::try_parse_from(["chat", "set-password"]).is_err());
        assert!(Cli::try_parse_from(["chat", "set-password", "7", "hunter22"]).is_err());
        assert!(Cli::try_parse_from(["chat", "set-password", "7", "--password", "x"]).is_err());
    }

    /// Every command's long help ends with its examples, one a line (clap
    /// reflows doc-comment paragraphs, so they live in `after_long_help`).
    #[test]
    fn every_command_has_examples_one_a_line() {
        let mut cli = Cli::command();
        for sub in cli.get_subcommands_mut() {
            let name = sub.get_name().to_string();
            let help = sub.render_long_help().to_string();
            let (_, examples) = help
                .split_once("\nExample:\n")
                .or_else(|| help.split_once("\nExamples:\n"))
                .unwrap_or_else(|| panic!("{name}: no examples in\n{help}"));
            assert!(!examples.trim().is_empty(), "{name}");
            for line in examples.trim_end().lines() {
                assert!(line.starts_with("  "), "{name}: {line:?}");
                assert!(line.contains(&format!("chat {name}")), "{name}: {line:?}");
            }
        }
    }

    #[test]
    fn read_needs_exactly_one_target() {
        assert!(Cli::try_parse_from(["chat", "read"]).is_err());
        assert!(Cli::try_parse_from(["chat", "read", "4", "--thread", "3"]).is_err());
        assert!(Cli::try_parse_from(["chat", "read", "--thread", "3"]).is_ok());
    }
}
