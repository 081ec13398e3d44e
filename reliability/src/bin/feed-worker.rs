//! The child process of the change-feed tests (`tests/feed_processes.rs`)
//! and of `chatbench`'s cross-process wake-up rows. One mode per use:
//!
//! - `write PATH NAME THREAD COUNT`: as NAME, sends COUNT messages
//!   `NAME #i` to THREAD; before every fifth it tries to mark its own last
//!   message read (refused: `not_recipient`, a transaction that writes
//!   nothing). Prints `wrote NAME sent N refused R`.
//! - `send-lines PATH NAME THREAD`: as NAME, sends each line read from
//!   stdin to THREAD and prints `sent ID` once it committed; ends at EOF.

use chatcore::{Error, Store, ThreadId};
use chatcore_reliability::{config, login};
use std::io::{BufRead, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["write", path, name, thread, count] => write(path, name, thread, count),
        ["send-lines", path, name, thread] => send_lines(path, name, thread),
        _ => Err(format!("usage: feed-worker MODE ARGS… (got {args:?})")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("feed-worker: {message}");
            ExitCode::FAILURE
        }
    }
}

fn number(text: &str) -> Result<i64, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn open(path: &str) -> Result<Store, String> {
    Store::open_with(path, config()).map_err(|err| format!("open: {err}"))
}

fn write(path: &str, name: &str, thread: &str, count: &str) -> Result<(), String> {
    let thread = ThreadId(number(thread)?);
    let count = number(count)?;
    let store = open(path)?;
    let me = login(&store, name).map_err(|err| err.to_string())?;
    let (mut sent, mut refused, mut last) = (0, 0, None);
    for i in 0..count {
        if let (Some(id), 4) = (last, i % 5) {
            match me.mark_read(id) {
                Err(Error::NotRecipient) => refused += 1,
                other => return Err(format!("marking its own message read gave {other:?}")),
            }
        }
        let message = me
            .send(thread, &format!("{name} #{i}"))
            .map_err(|err| format!("send: {err}"))?;
        last = Some(message.id);
        sent += 1;
    }
    println!("wrote {name} sent {sent} refused {refused}");
    Ok(())
}

fn send_lines(path: &str, name: &str, thread: &str) -> Result<(), String> {
    let thread = ThreadId(number(thread)?);
    let store = open(path)?;
    let me = login(&store, name).map_err(|err| err.to_string())?;
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|err| err.to_string())?;
        let message = me
            .send(thread, &line)
            .map_err(|err| format!("send: {err}"))?;
        writeln!(stdout.lock(), "sent {}", message.id).map_err(|err| err.to_string())?;
    }
    Ok(())
}
