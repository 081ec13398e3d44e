//! `users [QUERY]`.

use super::written;
use crate::cli::UsersArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::{emit, table};
use std::io::Write;

/// `chat users`: users whose username or email starts with the query.
pub fn run(ctx: &mut Context, args: &UsersArgs, out: &mut dyn Write) -> CliResult<()> {
    let users = ctx.session()?.search_users(&args.query, args.limit)?;
    written(emit(out, ctx.json, &users, |out| {
        if users.is_empty() {
            return writeln!(out, "No users match {:?}.", args.query);
        }
        let rows: Vec<Vec<String>> = users
            .iter()
            .map(|u| {
                vec![
                    u.id.to_string(),
                    u.username.clone(),
                    u.email.clone(),
                    format!("{} {}", u.first_name, u.last_name)
                        .trim()
                        .to_string(),
                ]
            })
            .collect();
        table(out, &["ID", "USERNAME", "EMAIL", "NAME"], &rows)
    }))
}
