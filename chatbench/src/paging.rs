//! Paging through the heavy thread in a child process, so that its peak RSS
//! is its own.

use crate::memory::vm_hwm_kib;
use crate::{R, check, err};
use chatcore::{MessageQuery, Store};
use std::path::Path;
use std::time::Instant;

pub(crate) struct Paging {
    pub(crate) messages: u64,
    pub(crate) pages: u64,
    pub(crate) seconds: f64,
    pub(crate) base_kib: u64,
    pub(crate) peak_kib: u64,
}

pub(crate) fn page_through_child(
    path: &Path,
    token: &str,
    thread: i64,
    expected: u64,
) -> R<Paging> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let output = std::process::Command::new(exe)
        .arg("page-through")
        .arg(path)
        .arg(thread.to_string())
        .env("CHATBENCH_TOKEN", token)
        .output()
        .map_err(|e| format!("page-through child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check(output.status.success(), || {
        format!(
            "page-through child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let field = |name: &str| -> R<f64> {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .ok_or_else(|| format!("page-through child printed no {name}: {stdout}"))
    };
    let paging = Paging {
        messages: field("messages")? as u64,
        pages: field("pages")? as u64,
        seconds: field("seconds")?,
        base_kib: field("base_kib")? as u64,
        peak_kib: field("peak_kib")? as u64,
    };
    check(paging.messages == expected, || {
        format!("paged {} messages, expected {expected}", paging.messages)
    })?;
    Ok(paging)
}

/// The child: resumes a session (no password hash, which would itself take
/// 19 MiB) and pages through the whole thread, oldest-ward, 50 at a time.
pub(crate) fn page_through(argv: &[String]) -> R<()> {
    let [path, thread] = argv else {
        return Err("usage: chatbench page-through DB THREAD (token in CHATBENCH_TOKEN)".into());
    };
    let token = std::env::var("CHATBENCH_TOKEN").map_err(|_| "CHATBENCH_TOKEN is not set")?;
    let thread = chatcore::ThreadId(thread.parse().map_err(|_| "bad thread id")?);
    let store = Store::open(path).map_err(err)?;
    let session = store.resume(&token).map_err(err)?;
    let first = session
        .list_messages(thread, &MessageQuery::default())
        .map_err(err)?;
    let base_kib = vm_hwm_kib();
    let started = Instant::now();
    let (mut messages, mut pages) = (first.items.len() as u64, 1u64);
    let mut oldest = first.items.first().map(|m| m.id);
    let mut more = first.has_more;
    while more {
        let page = session
            .list_messages(
                thread,
                &MessageQuery {
                    before: oldest,
                    ..Default::default()
                },
            )
            .map_err(err)?;
        messages += page.items.len() as u64;
        pages += 1;
        oldest = page.items.first().map(|m| m.id);
        more = page.has_more;
    }
    println!(
        "messages={messages} pages={pages} seconds={:.3} base_kib={base_kib} peak_kib={}",
        started.elapsed().as_secs_f64(),
        vm_hwm_kib()
    );
    Ok(())
}
