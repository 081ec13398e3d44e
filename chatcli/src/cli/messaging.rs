//! Arguments of the commands on users, threads and messages.

use clap::Args;

/// Arguments of `chat users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// A prefix of a username or email; empty lists everyone.
    #[arg(default_value = "")]
    pub query: String,
    /// At most this many users (default 50, at most 500).
    #[arg(long)]
    pub limit: Option<u32>,
}

/// Arguments of `chat threads`.
#[derive(Debug, Args)]
pub struct ThreadsArgs {
    /// At most this many threads (default 50, at most 500).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Continue after a previous page (its `next_cursor`).
    #[arg(long)]
    pub cursor: Option<String>,
}

/// Arguments of `chat open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The other user: `id:N`, `username:NAME`, `email:ADDRESS`, or a bare
    /// username, email or id that names one account.
    pub user: String,
}

/// Arguments of `chat send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Send to this user (`id:N`, `username:NAME`, `email:ADDRESS`, or a bare
    /// username, email or id that names one account), opening the thread if needed.
    #[arg(long, value_name = "USER")]
    pub to: Option<String>,
    /// Send at most once under this client key (1 to 64 bytes, e.g. a UUID):
    /// a retry with the same key and text shows the message already sent and
    /// stores nothing; another text under a used key is refused. Give it
    /// before THREAD and TEXT (every word after them is text).
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// THREAD then the text, or only the text with --to.
    #[arg(
        required = true,
        value_name = "THREAD TEXT",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
}

/// Arguments of `chat messages`.
#[derive(Debug, Args)]
pub struct MessagesArgs {
    /// The thread's id.
    pub thread: i64,
    /// The newest messages older than this message id.
    #[arg(long, value_name = "ID")]
    pub before: Option<i64>,
    /// The oldest messages newer than this message id.
    #[arg(long, value_name = "ID")]
    pub after: Option<i64>,
    /// At most this many messages (default 50, at most 500).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// Arguments of `chat search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to find: words, "a phrase", -excluded.
    #[arg(
        value_name = "QUERY",
        required_unless_present = "rebuild",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
    /// Only in this thread.
    #[arg(long, value_name = "THREAD")]
    pub thread: Option<i64>,
    /// At most this many hits (default 20, at most 500).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Newest first instead of most relevant first.
    #[arg(long)]
    pub recent: bool,
    /// Continue after a previous page (its `next_cursor`).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Rebuild the search index from the messages instead of searching.
    #[arg(long, conflicts_with_all = ["words", "thread", "limit", "recent", "cursor"])]
    pub rebuild: bool,
}

/// Arguments of `chat watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Stop after printing this many changes.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// Arguments of `chat read`.
#[derive(Debug, Args)]
#[group(id = "target", required = true, multiple = false, args = ["message", "thread"])]
pub struct ReadArgs {
    /// The message to mark read.
    pub message: Option<i64>,
    /// Mark the messages sent to you in this thread read.
    #[arg(long, value_name = "THREAD")]
    pub thread: Option<i64>,
    /// With --thread: only up to this message id.
    #[arg(long, value_name = "ID", requires = "thread")]
    pub up_to: Option<i64>,
}

/// Arguments of `chat delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The thread's id.
    pub thread: i64,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// Arguments of `chat edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The message's id.
    pub message: i64,
    /// The new text.
    #[arg(
        required = true,
        value_name = "TEXT",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
}

/// Arguments of `chat unsend`.
#[derive(Debug, Args)]
pub struct UnsendArgs {
    /// The message's id.
    pub message: i64,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// Arguments of `chat clear`.
#[derive(Debug, Args)]
pub struct ClearArgs {
    /// The thread's id.
    pub thread: i64,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}
