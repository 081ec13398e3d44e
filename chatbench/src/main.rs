//! `chatbench`: chatcore's operations at a million messages, each against a
//! bare-SQLite floor measured in the same run on the same file.
//!
//! ```text
//! cargo run --release -p chatbench            # full size (1,000,000-message thread)
//! cargo run --release -p chatbench -- --quick # CI smoke size
//! ```
//!
//! `chatbench encrypted [--quick]` runs only the encrypted store's rows.
//!
//! Options: `--quick`, `--out FILE` (also write the markdown table there),
//! `--keep DIR` (generate into DIR/bench.db and keep it); `--postgres URL`
//! runs the rows on PostgreSQL instead (module `pg`). The program fails
//! only if the benchmark itself breaks (an error, a wrong result, unread
//! counters that disagree with the messages), never because of a timing.

mod args;
mod bench;
mod cipher_floor;
mod data;
mod encrypted;
mod feed;
mod ffi;
mod floor;
mod keyed;
mod latency;
mod latency_causes;
mod life;
mod load;
mod memory;
mod paging;
mod pg;
mod pg_floor;
mod pg_proxy;
mod report;
mod run;
mod search;
mod search_send;
mod stats;

use args::{parse, plan_for};
use bench::{Bench, Row, measure};
use paging::page_through;
use report::{mib, table};
use run::run;
use std::process::ExitCode;

type R<T> = Result<T, String>;

fn err(e: chatcore::Error) -> String {
    format!("{e} ({})", e.code())
}

/// Checks a result the benchmark relies on; a failure means the benchmark
/// measured the wrong thing.
fn check(ok: bool, what: impl FnOnce() -> String) -> R<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {}", what()))
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some("page-through") => page_through(&argv[1..]),
        Some("latency") => latency::command(&argv[1..]),
        Some("login-rss") => memory::child(&argv[1..]),
        Some("search") => search::command(&argv[1..]),
        Some("feed-sender") => feed::sender(&argv[1..]),
        Some("feed-idle") => feed::idle(&argv[1..]),
        Some("encrypted") => encrypted::command(&argv[1..]),
        _ if argv.iter().any(|arg| arg == "--postgres") => pg::command(&argv),
        _ => parse(&argv).and_then(run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chatbench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
