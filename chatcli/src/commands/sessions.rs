//! `sessions`.

use super::written;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::{emit, table};
use crate::timefmt::relative;
use std::io::Write;

/// `chat sessions`: my live sessions, the current one marked.
pub fn run(ctx: &mut Context, out: &mut dyn Write) -> CliResult<()> {
    let sessions = ctx.session()?.sessions()?;
    let now = chrono::Utc::now();
    written(emit(out, ctx.json, &sessions, |out| {
        let rows: Vec<Vec<String>> = sessions
            .iter()
            .map(|s| {
                vec![
                    if s.current { "*" } else { "" }.to_string(),
                    s.id.to_string(),
                    relative(s.created_at, now),
                    relative(s.last_used_at, now),
                    relative(s.expires_at, now),
                ]
            })
            .collect();
        table(
            out,
            &["", "SESSION", "CREATED", "LAST USED", "EXPIRES"],
            &rows,
        )
    }))
}
