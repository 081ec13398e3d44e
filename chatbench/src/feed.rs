//! The change feed (issue 15): the cost of a `changes` page of 100 in the
//! big store against the same SELECT on a bare connection, wake-up
//! latencies of `wait_for_changes` in the same process and from a real
//! second process (this binary in its `feed-sender` mode), and the CPU an
//! idle waiter costs (a child process in its `feed-idle` mode that only
//! waits). The cost of `send` with its two entries is the `send` row
//! (floor: the bare send, unchanged); its target is printed here.

use crate::stats::{Plan, human};
use crate::{Bench, R, err};
use chatcore::{ChangeCursor, Config, NewUser, Session, Store};
use rusqlite::Connection;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The page row's name.
pub const PAGE_ROW: &str = "changes page of 100";

const PASSWORD: &str = "feed-bench-password";

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Registers a user (or logs in if there), logged in.
fn user(store: &Store, name: &str) -> R<Session> {
    let email = format!("{name}@feed.example");
    let _ = store.register(&NewUser {
        email: &email,
        username: name,
        password: PASSWORD,
        ..Default::default()
    });
    store.login(&email, PASSWORD).map_err(err)
}

/// Measures the feed's rows on the store at `path` (already filled), adds
/// the page row to `bench`, and returns the markdown section.
pub fn rows(
    bench: &mut Bench,
    plan: Plan,
    store: &Store,
    path: &Path,
    floor: &Connection,
    quick: bool,
) -> R<String> {
    let a = user(store, "feed_a")?;
    let b = user(store, "feed_b")?;
    let (thread, _) = a.create_thread(&[a.user_id(), b.user_id()]).map_err(err)?;
    let sends = if quick { 1_000 } else { 5_000 };
    for i in 0..sends {
        a.send(thread.id, &format!("feed bench {i}")).map_err(err)?;
    }
    let entries = b.changes_iter(None, Some(500)).count();
    let first = b.changes(None, Some(1)).map_err(err)?.items[0].cursor.raw();
    let span = (entries as i64 * 2).max(1);
    let (mut n, mut m) = (0i64, 0i64);
    let user_b = b.user_id().0;
    let mut stmt = floor
        .prepare(
            "SELECT c.id, c.kind, c.at, c.thread_id, c.message_id, c.other_id,
                    m.id, m.thread_id, m.sender_id, m.text, m.created_at, m.read_at
             FROM changes c LEFT JOIN messages m ON m.id = c.message_id
             WHERE c.user_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
        )
        .map_err(|e| format!("floor: {e}"))?;
    bench.row(
        PAGE_ROW,
        &format!(
            "{entries} entries of one user, from a cursor spread over them; floor: the same SELECT"
        ),
        plan,
        &mut || {
            n += 1;
            let at = first + (n * 7919) % span;
            let page = b
                .changes(Some(ChangeCursor::from_raw(at)), Some(100))
                .map_err(err)?;
            std::hint::black_box(page);
            Ok(())
        },
        Some(&mut || {
            m += 1;
            let at = first + (m * 7919) % span;
            type Row = (
                i64,
                i64,
                i64,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                Option<String>,
            );
            let rows: Vec<Row> = stmt
                .query_map(rusqlite::params![user_b, at, 101], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(9)?,
                    ))
                })
                .and_then(|rows| rows.collect())
                .map_err(|e| format!("floor: {e}"))?;
            std::hint::black_box(rows);
            Ok(())
        }),
    )?;

    let rounds = if quick { 30 } else { 200 };
    let in_process = in_process(&a, &b, thread.id, rounds)?;
    let cross = cross_process(path, &b, thread.id, rounds)?;
    let idle = idle_cpu(path, if quick { 3 } else { 10 })?;
    let send_ratio = bench
        .find("send")
        .and_then(|row| row.ratio())
        .unwrap_or(f64::NAN);
    let page_median = bench
        .find(PAGE_ROW)
        .map_or(f64::NAN, |row| row.core.median());
    let met = |ok: bool| if ok { "met" } else { "**missed**" };
    let mut out = String::from(
        "\n### Change feed (issue 15)\n\n| row | measured | target | met? |\n|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| send with its two feed entries, against the bare send floor | {send_ratio:.2}× | ≤ 1.35× | {} |\n",
        met(send_ratio <= 1.35)
    ));
    out.push_str(&format!(
        "| {PAGE_ROW} ({entries} entries of the user) | {} | ≤ 150 µs | {} |\n",
        human(page_median),
        met(page_median <= 150_000.0)
    ));
    for (name, tail, p50, p99) in [
        ("wake-up in process", &in_process, 1e6, f64::INFINITY),
        ("wake-up from another process", &cross, 10e6, 50e6),
    ] {
        out.push_str(&format!(
            "| {name}, p50 / p99 ({rounds} sends) | {} / {} | p50 ≤ {}{} | {} |\n",
            human(tail.0),
            human(tail.1),
            human(p50),
            if p99.is_finite() {
                format!(", p99 ≤ {}", human(p99))
            } else {
                String::new()
            },
            met(tail.0 <= p50 && tail.1 <= p99)
        ));
    }
    out.push_str(&format!(
        "| idle waiter, CPU of its whole process | {idle:.3} % of a core | ≤ 0.5 % | {} |\n",
        met(idle <= 0.5)
    ));
    out.push_str(
        "\nWake-ups are timed to the moment the waiting thread returned from \
         `wait_for_changes`: in process from the start of the `send` call (the waiter may \
         wake before `send` returns), across processes from the moment the sender's `send` \
         returned (it reports its wall-clock time).\n",
    );
    Ok(out)
}

/// p50 and p99 of `times`, in ns.
fn quantiles(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// A waiter thread on `b`; `a` sends; the time from the send's return to
/// the wake-up.
fn in_process(
    a: &Session,
    b: &Session,
    thread: chatcore::ThreadId,
    rounds: usize,
) -> R<(f64, f64)> {
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let cursor = b.change_cursor().map_err(err)?;
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || {
                let woke = b.wait_for_changes(Some(cursor), Duration::from_secs(10));
                (woke, Instant::now())
            })
        };
        std::thread::sleep(Duration::from_millis(3));
        // From the call's start: the waiter may wake before `send` returns.
        let sent = Instant::now();
        a.send(thread, &format!("wake {i}")).map_err(err)?;
        let (woke, at) = waiter.join().map_err(|_| "waiter panicked".to_string())?;
        if !woke.map_err(err)? {
            return Err("an in-process wait timed out".into());
        }
        times.push(at.saturating_duration_since(sent).as_nanos() as f64);
    }
    Ok(quantiles(times))
}

/// A waiter in this process; a second process (`chatbench feed-sender`)
/// sends on request and reports when its send returned.
fn cross_process(
    path: &Path,
    b: &Session,
    thread: chatcore::ThreadId,
    rounds: usize,
) -> R<(f64, f64)> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .arg("feed-sender")
        .arg(path)
        .arg(thread.0.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("feed-sender: {e}"))?;
    let mut to_child = child.stdin.take().ok_or("no stdin")?;
    let mut from_child = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    from_child.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let cursor = b.change_cursor().map_err(err)?;
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || {
                let woke = b.wait_for_changes(Some(cursor), Duration::from_secs(10));
                (woke, now_ns())
            })
        };
        std::thread::sleep(Duration::from_millis(5));
        writeln!(to_child, "cross {i}").map_err(|e| e.to_string())?;
        line.clear();
        from_child.read_line(&mut line).map_err(|e| e.to_string())?;
        let sent: u128 = line
            .trim()
            .parse()
            .map_err(|_| format!("feed-sender said {line:?}"))?;
        let (woke, at) = waiter.join().map_err(|_| "waiter panicked".to_string())?;
        if !woke.map_err(err)? {
            return Err("a cross-process wait timed out".into());
        }
        times.push(at.saturating_sub(sent) as f64);
    }
    drop(to_child);
    let _ = child.wait();
    Ok(quantiles(times))
}

/// `chatbench feed-sender PATH THREAD`: as feed_a, sends each stdin line to
/// THREAD and prints the wall-clock ns at which the send returned.
pub fn sender(argv: &[String]) -> R<()> {
    let [path, thread] = argv else {
        return Err("usage: chatbench feed-sender PATH THREAD".into());
    };
    let thread = chatcore::ThreadId(thread.parse().map_err(|_| "bad thread")?);
    let store = Store::open_with(path, Config::default()).map_err(err)?;
    let a = user(&store, "feed_a")?;
    let stdout = std::io::stdout();
    writeln!(stdout.lock(), "ready").map_err(|e| e.to_string())?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        a.send(thread, &line).map_err(err)?;
        writeln!(stdout.lock(), "{}", now_ns()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The CPU time of every thread of this process, in ns (schedstat).
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// `chatbench feed-idle PATH SECONDS`: opens the store, starts a wait that
/// nothing wakes, and prints the CPU its whole process used meanwhile, in
/// percent of one core.
pub fn idle(argv: &[String]) -> R<()> {
    let [path, seconds] = argv else {
        return Err("usage: chatbench feed-idle PATH SECONDS".into());
    };
    let seconds: u64 = seconds.parse().map_err(|_| "bad seconds")?;
    let store = Store::open_with(path, Config::default()).map_err(err)?;
    let b = user(&store, "feed_b")?;
    let cursor = b.change_cursor().map_err(err)?;
    // A first short wait starts the watcher; then measure an idle one.
    b.wait_for_changes(Some(cursor), Duration::from_millis(100))
        .map_err(err)?;
    let cpu = process_cpu_ns().ok_or("no /proc/self/task/*/schedstat")?;
    let started = Instant::now();
    if b.wait_for_changes(Some(cursor), Duration::from_secs(seconds))
        .map_err(err)?
    {
        return Err("the idle waiter was woken".into());
    }
    let used = process_cpu_ns().ok_or("no schedstat")? - cpu;
    let percent = used as f64 / started.elapsed().as_nanos() as f64 * 100.0;
    println!("{percent}");
    Ok(())
}

fn idle_cpu(path: &Path, seconds: u64) -> R<f64> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = Command::new(exe)
        .arg("feed-idle")
        .arg(path)
        .arg(seconds.to_string())
        .output()
        .map_err(|e| format!("feed-idle: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "feed-idle: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "feed-idle printed no number".into())
}
