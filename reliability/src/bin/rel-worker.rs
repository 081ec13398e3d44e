//! The child process of the reliability tests. One mode per test:
//!
//! - `kill-sender PATH THREAD RUN`: sends as ann forever (bob replies and
//!   marks read now and then), printing `sent ID RUN SEQ` after each send
//!   returns; the parent kills it with SIGKILL.
//! - `sender PATH NAME THREAD COUNT`: sends COUNT messages `NAME #i`, then
//!   prints `sender NAME sent N errors E busy B`.
//! - `reader PATH NAME STOP_FILE`: lists, reads and marks read until
//!   STOP_FILE exists, then prints `reader NAME ops N errors E busy B`.
//! - `hold-session PATH TOKEN`: resumes TOKEN, then answers each `check`
//!   line on stdin with `ok` or the error code of one call.
//! - `keyed-send PATH THREAD KEY TEXT WAIT`: sends TEXT as ann under the
//!   client KEY, prints `sent ID CREATED MILLIS` once the send returned
//!   (committed), then with WAIT `hang` sleeps until killed (a host that
//!   died before it could use the answer), with `exit` exits.
//! - `rekey-loop PATH N`: opens the encrypted store with key N (see
//!   `chatcore_reliability::rekey_key`) and, forever, sends a message as ann
//!   (printing `sent ID TEXT`) and changes the key to N+1, N+2, … (printing
//!   `rekeyed N` once `rekey` returned); the parent kills it with SIGKILL.

use chatcore::{Error, MessageId, MessageQuery, Store, ThreadId, ThreadQuery};
use chatcore_reliability::{config, login};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["kill-sender", path, thread, run] => kill_sender(path, thread, run),
        ["sender", path, name, thread, count] => sender(path, name, thread, count),
        ["reader", path, name, stop] => reader(path, name, stop),
        ["hold-session", path, token] => hold_session(path, token),
        ["keyed-send", path, thread, key, text, wait] => keyed_send(path, thread, key, text, wait),
        ["rekey-loop", path, key] => rekey_loop(path, key),
        _ => Err(format!("usage: rel-worker MODE ARGS… (got {args:?})")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rel-worker: {message}");
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

fn kill_sender(path: &str, thread: &str, run: &str) -> Result<(), String> {
    let thread = ThreadId(number(thread)?);
    let run = number(run)?;
    let store = open(path)?;
    let ann = login(&store, "ann").map_err(|err| err.to_string())?;
    let bob = login(&store, "bob").map_err(|err| err.to_string())?;
    let stdout = std::io::stdout();
    for seq in 0u64.. {
        let message = ann
            .send(thread, &format!("run {run} seq {seq}"))
            .map_err(|err| format!("send: {err}"))?;
        writeln!(stdout.lock(), "sent {} {run} {seq}", message.id)
            .map_err(|err| err.to_string())?;
        if seq % 7 == 3 {
            bob.mark_thread_read(thread, Some(MessageId(message.id.0 - 2)))
                .map_err(|err| format!("mark_thread_read: {err}"))?;
        }
        if seq % 11 == 5 {
            let reply = bob
                .send(thread, &format!("reply {run} {seq}"))
                .map_err(|err| format!("reply: {err}"))?;
            ann.mark_read(reply.id)
                .map_err(|err| format!("mark_read: {err}"))?;
        }
    }
    Ok(())
}

fn keyed_send(path: &str, thread: &str, key: &str, text: &str, wait: &str) -> Result<(), String> {
    let thread = ThreadId(number(thread)?);
    let store = open(path)?;
    let ann = login(&store, "ann").map_err(|err| err.to_string())?;
    let (message, created) = ann
        .send_with_key(thread, text, key)
        .map_err(|err| format!("send_with_key: {err}"))?;
    writeln!(
        std::io::stdout().lock(),
        "sent {} {created} {}",
        message.id,
        message.created_at.timestamp_millis()
    )
    .map_err(|err| err.to_string())?;
    if wait == "hang" {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
    Ok(())
}

/// Counts a failed call; Busy is counted apart, as the test asserts none.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    busy: u64,
    first: Option<String>,
}

impl Tally {
    fn record<T>(&mut self, result: chatcore::Result<T>) -> Option<T> {
        match result {
            Ok(value) => {
                self.ok += 1;
                Some(value)
            }
            Err(err) => {
                if matches!(err, Error::Busy) {
                    self.busy += 1;
                }
                self.errors += 1;
                self.first.get_or_insert_with(|| err.to_string());
                None
            }
        }
    }

    fn verdict(&self) -> Result<(), String> {
        match &self.first {
            None => Ok(()),
            Some(first) => Err(format!("{} errors, first: {first}", self.errors)),
        }
    }
}

fn sender(path: &str, name: &str, thread: &str, count: &str) -> Result<(), String> {
    let thread = ThreadId(number(thread)?);
    let count = number(count)?;
    let store = open(path)?;
    let session = login(&store, name).map_err(|err| format!("login: {err}"))?;
    let mut tally = Tally::default();
    for i in 0..count {
        tally.record(session.send(thread, &format!("{name} #{i}")));
    }
    println!(
        "sender {name} sent {} errors {} busy {}",
        tally.ok, tally.errors, tally.busy
    );
    tally.verdict()
}

fn reader(path: &str, name: &str, stop: &str) -> Result<(), String> {
    let store = open(path)?;
    let session = login(&store, name).map_err(|err| format!("login: {err}"))?;
    let mut tally = Tally::default();
    while !Path::new(stop).exists() {
        let Some(page) = tally.record(session.list_threads(&ThreadQuery::default())) else {
            continue;
        };
        for summary in page.items {
            let id = summary.thread.id;
            tally.record(session.list_messages(id, &MessageQuery::default()));
            tally.record(session.mark_thread_read(id, None));
        }
        tally.record(session.unread_count());
    }
    println!(
        "reader {name} ops {} errors {} busy {}",
        tally.ok, tally.errors, tally.busy
    );
    tally.verdict()
}

fn hold_session(path: &str, token: &str) -> Result<(), String> {
    let store = open(path)?;
    let session = store.resume(token).map_err(|err| err.to_string())?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready").map_err(|err| err.to_string())?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|err| err.to_string())?;
        if line.trim() != "check" {
            continue;
        }
        let answer = match session.unread_count() {
            Ok(_) => "ok",
            Err(err) => err.code(),
        };
        writeln!(stdout, "{answer}").map_err(|err| err.to_string())?;
    }
    Ok(())
}

fn rekey_loop(path: &str, key: &str) -> Result<(), String> {
    let mut key = u64::try_from(number(key)?).map_err(|err| err.to_string())?;
    let store = Store::open_with(path, config().key(chatcore_reliability::rekey_key(key)))
        .map_err(|err| format!("open with key {key}: {err}"))?;
    let ann = login(&store, "ann").map_err(|err| err.to_string())?;
    let thread = ann
        .list_threads(&ThreadQuery::default())
        .map_err(|err| err.to_string())?
        .items
        .first()
        .map(|summary| summary.thread.id)
        .ok_or("ann has no thread")?;
    let stdout = std::io::stdout();
    loop {
        let text = format!("under key {key}");
        let message = ann
            .send(thread, &text)
            .map_err(|err| format!("send: {err}"))?;
        writeln!(stdout.lock(), "sent {} {text}", message.id).map_err(|err| err.to_string())?;
        store
            .rekey(&chatcore_reliability::rekey_key(key + 1))
            .map_err(|err| format!("rekey to {}: {err}", key + 1))?;
        key += 1;
        writeln!(stdout.lock(), "rekeyed {key}").map_err(|err| err.to_string())?;
    }
}
