//! Arguments of the account commands: `register`, `login`, `set-password`.

use clap::Args;

/// Arguments of `chat register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The new user's email address.
    #[arg(long)]
    pub email: String,
    /// The new user's username (letters, digits and @.+-_).
    #[arg(long)]
    pub username: String,
    /// The first name (optional).
    #[arg(long, default_value = "")]
    pub first_name: String,
    /// The last name (optional).
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Arguments of `chat login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The email address you registered with.
    #[arg(long)]
    pub email: String,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Arguments of `chat set-password`.
#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    /// The user: `id:N`, `username:NAME`, `email:ADDRESS`, or a bare
    /// username, email or id that names one account.
    #[arg(value_name = "USER")]
    pub user: String,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}
