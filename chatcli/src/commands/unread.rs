//! `unread`.

use super::written;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use std::io::Write;

/// `chat unread`: how many messages sent to me are unread.
pub fn run(ctx: &mut Context, out: &mut dyn Write) -> CliResult<()> {
    let count = ctx.session()?.unread_count()?;
    let value = serde_json::json!({ "unread_count": count });
    written(emit(out, ctx.json, &value, |out| {
        let plural = if count == 1 { "" } else { "s" };
        writeln!(out, "{count} unread message{plural}.")
    }))
}
