//! `search QUERY… [--thread T] [--limit N] [--recent] [--cursor C]` and
//! `search --rebuild`.

use super::written;
use crate::cli::SearchArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::{emit, escape, table};
use crate::timefmt::relative;
use chatcore::{SearchHit, SearchOrder, SearchQuery, ThreadId};
use std::io::{IsTerminal, Write};

/// The page size when none is given: a screenful.
const DEFAULT_LIMIT: u32 = 20;

/// Stand-ins for the start and end of a match while the table is laid out
/// (private-use characters; any in the text itself are shown escaped), then
/// replaced by bold or brackets.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Whether matches are shown in bold: standard output is a terminal and
/// `NO_COLOR` is not set.
fn bold() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The snippet as one table cell: text escaped for the terminal, each match
/// between [`OPEN`] and [`CLOSE`].
fn cell(hit: &SearchHit) -> String {
    let mut shown = String::new();
    let mut at = 0;
    let plain = |text: &str| {
        escape(text)
            .replace(OPEN, "\\u{E000}")
            .replace(CLOSE, "\\u{E001}")
    };
    for &[start, end] in &hit.matches {
        let (Some(before), Some(matched)) =
            (hit.snippet.get(at..start), hit.snippet.get(start..end))
        else {
            continue;
        };
        shown.push_str(&plain(before));
        shown.push(OPEN);
        shown.push_str(&plain(matched));
        shown.push(CLOSE);
        at = end;
    }
    shown.push_str(&plain(hit.snippet.get(at..).unwrap_or("")));
    shown
}

/// `chat search`: the hits of the query in my threads, or `--rebuild`.
pub fn run(ctx: &mut Context, args: &SearchArgs, out: &mut dyn Write) -> CliResult<()> {
    if args.rebuild {
        let indexed = ctx.store()?.rebuild_search_index()?;
        #[derive(serde::Serialize)]
        struct Rebuilt {
            indexed: u64,
        }
        return written(emit(out, ctx.json, &Rebuilt { indexed }, |out| {
            writeln!(out, "Search index rebuilt: {indexed} messages.")
        }));
    }
    let session = ctx.session()?;
    let text = args.words.join(" ");
    let order = match args.recent {
        true => SearchOrder::Recent,
        false => SearchOrder::Relevance,
    };
    let page = session.search(&SearchQuery {
        text: &text,
        thread: args.thread.map(ThreadId),
        limit: Some(args.limit.unwrap_or(DEFAULT_LIMIT)),
        cursor: args.cursor.as_deref(),
        order,
        // No marks: the match ranges say where matches are (JSON), and the
        // table marks them itself.
        marks: ("", ""),
    })?;
    if ctx.json {
        return written(emit(out, true, &page, |_| Ok(())));
    }
    let me = session.user_id();
    let now = chrono::Utc::now();
    let result = (|| -> std::io::Result<()> {
        if page.items.is_empty() {
            return writeln!(out, "No messages match.");
        }
        let rows: Vec<Vec<String>> = page
            .items
            .iter()
            .map(|hit| {
                let sender = match hit.message.sender_id == me {
                    true => "you".to_string(),
                    false => hit.other.username.clone(),
                };
                vec![
                    format!("{} ({})", hit.message.thread_id, hit.other.username),
                    sender,
                    relative(hit.message.created_at, now),
                    cell(hit),
                ]
            })
            .collect();
        let mut laid_out = Vec::new();
        table(&mut laid_out, &["THREAD", "FROM", "SENT", "MESSAGE"], &rows)?;
        let (open, close) = match bold() {
            true => ("\x1b[1m", "\x1b[0m"),
            false => ("[", "]"),
        };
        let text = String::from_utf8_lossy(&laid_out)
            .replace(OPEN, open)
            .replace(CLOSE, close);
        out.write_all(text.as_bytes())?;
        if let Some(cursor) = &page.next_cursor {
            // Options first: every word after the first is the query.
            let mut next = format!("search --cursor {cursor}");
            if args.recent {
                next += " --recent";
            }
            if let Some(thread) = args.thread {
                next += &format!(" --thread {thread}");
            }
            if let Some(limit) = args.limit {
                next += &format!(" --limit {limit}");
            }
            next += &format!(" -- {}", escape(&shell_quote(&args.words.join(" "))));
            writeln!(out, "More: {}", hint::command(&next))?;
        }
        Ok(())
    })();
    written(result)
}

/// The query as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
