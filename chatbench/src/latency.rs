//! Tail latency of single sends through the C ABI (issue 12, item 10):
//! `count` sends in a row on a fresh file opened with the default options,
//! each one timed on its own, as a host calling `chat_message_send` sees it.
//!
//! Also runnable alone: `chatbench latency [COUNT] [DIR] [MODE]` (default
//! 50,000 through the C ABI; MODE `rust-inline` or `rust-background` sends
//! through the Rust API with that checkpoint setting, to compare them).

use crate::data::{self, PASSWORD};
use crate::ffi;
use crate::latency_causes::{self, Cause, WalIndexReader};
use crate::stats::human;
use chatcore::{Checkpoints, Config, NewUser, Store, ThreadId};
use std::ffi::CString;
use std::path::Path;
use std::time::Instant;

type R<T> = Result<T, String>;

/// The distribution of single-send times, and how big the WAL got.
pub struct Latency {
    pub count: usize,
    /// How the sends were made.
    pub via: &'static str,
    /// Wall-clock times, as a host sees them.
    pub wall: Tail,
    /// The same sends without the time their thread spent waiting for a
    /// CPU (`/proc/thread-self/schedstat`): on a shared, overloaded machine
    /// that wait dominates the tail, and it is not chatcore's doing. Fsync
    /// and lock waits are still counted. `None` where the kernel does not say.
    pub on_cpu_or_io: Option<Tail>,
    /// The largest WAL file seen (sampled every 500 sends), in bytes.
    pub wal_peak_bytes: u64,
    /// Each send's cause (module `latency_causes`) and its time without
    /// CPU waits (wall-clock where the kernel does not say).
    pub by_cause: Vec<(Cause, f64)>,
}

/// Percentiles of one set of times.
pub struct Tail {
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
    pub over_1ms: usize,
    pub over_5ms: usize,
}

impl Tail {
    fn of(mut times: Vec<f64>) -> Tail {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        Tail {
            p50_ns: at(0.5),
            p99_ns: at(0.99),
            p999_ns: at(0.999),
            max_ns: times.last().copied().unwrap_or(f64::NAN),
            over_1ms: times.iter().filter(|&&t| t > 1e6).count(),
            over_5ms: times.iter().filter(|&&t| t > 5e6).count(),
        }
    }

    fn show(&self) -> String {
        format!(
            "p50 {} · p99 {} · p99.9 {} · max {} · {} over 1 ms, {} over 5 ms",
            human(self.p50_ns),
            human(self.p99_ns),
            human(self.p999_ns),
            human(self.max_ns),
            self.over_1ms,
            self.over_5ms,
        )
    }
}

/// Nanoseconds this thread has waited for a CPU so far.
fn runqueue_wait_ns() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().nth(1)?.parse().ok()
}

impl Latency {
    /// One line for the benchmark's table.
    pub fn row(&self) -> String {
        let mut row = format!(
            "| single sends {}, {} in a row (fresh file) | {} · WAL peak {:.1} MiB |",
            self.via,
            self.count,
            self.wall.show(),
            self.wal_peak_bytes as f64 / (1024.0 * 1024.0),
        );
        if let Some(tail) = &self.on_cpu_or_io {
            row.push_str(&format!(
                "\n| the same sends without their waits for a CPU (shared machine) | {} |",
                tail.show()
            ));
        }
        row
    }

    /// The row and its two targets (printed, never enforced), as a
    /// markdown table to append to the benchmark's output.
    pub fn table(&self) -> String {
        let met = |ok: bool| if ok { "met" } else { "**missed**" };
        format!(
            "\n| send tail latency | value |\n|---|---|\n{}\n\
             | target: p99.9 ≤ 1 ms | {} |\n| target: no send over 5 ms | {} |\n",
            self.row(),
            met(self.wall.p999_ns <= 1e6),
            met(self.wall.over_5ms == 0),
        ) + &self.causes()
    }

    /// The sends grouped by what happened in them.
    pub fn causes(&self) -> String {
        let what = match self.on_cpu_or_io {
            Some(_) => "times without CPU waits",
            None => "wall-clock times",
        };
        latency_causes::table(&self.by_cause, what)
    }
}

fn err(e: chatcore::Error) -> String {
    format!("{e} ({})", e.code())
}

fn wal_bytes(path: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |meta| meta.len())
}

/// Sends `count` messages one by one into a fresh file `dir/latency.db`
/// through the C ABI and returns the distribution of their times.
pub fn measure(dir: &Path, count: usize) -> R<Latency> {
    measure_via(dir, count, None)
}

/// [`measure`], or with `inline` set, the same sends through the Rust API
/// on a store opened with that [`Checkpoints`] setting (to compare the
/// background checkpointer with SQLite's inline checkpoints in one run).
pub fn measure_via(dir: &Path, count: usize, inline: Option<Checkpoints>) -> R<Latency> {
    let path = dir.join("latency.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let thread = {
        let store = Store::open(&path).map_err(err)?;
        let mut ids = Vec::new();
        for name in ["lat_ann", "lat_bob"] {
            let user = store
                .register(&NewUser {
                    email: &format!("{name}@bench.example"),
                    username: name,
                    password: PASSWORD,
                    ..Default::default()
                })
                .map_err(err)?;
            ids.push(user.id);
        }
        let session = store
            .login("lat_ann@bench.example", PASSWORD)
            .map_err(err)?;
        session.create_thread(&ids).map_err(err)?.0.id.0
    };
    let mut rng = data::Rng::new(11);
    let texts: Vec<CString> = (0..64)
        .map(|_| CString::new(data::text(&mut rng)).map_err(|_| "a text with a NUL".to_string()))
        .collect::<R<_>>()?;
    let c_store = ffi::Store::open(&path)?;
    let c_session = c_store.login("lat_ann@bench.example", PASSWORD)?;
    let rust = match inline {
        Some(checkpoints) => {
            let store =
                Store::open_with(&path, Config::default().checkpoints(checkpoints)).map_err(err)?;
            let session = store
                .login("lat_ann@bench.example", PASSWORD)
                .map_err(err)?;
            Some(session)
        }
        None => None,
    };
    let rust_texts: Vec<&str> = texts.iter().filter_map(|text| text.to_str().ok()).collect();
    let mut times = Vec::with_capacity(count);
    let mut busy = Vec::with_capacity(count);
    let mut wal_peak_bytes = 0;
    let mut wal_index = WalIndexReader::new(&path);
    let mut before = wal_index.read();
    let mut causes = Vec::with_capacity(count);
    for n in 0..count {
        let text = texts[n % texts.len()].as_ptr();
        let waited_before = runqueue_wait_ns();
        let start = Instant::now();
        let id = match &rust {
            Some(session) => {
                session
                    .send(ThreadId(thread), rust_texts[n % rust_texts.len()])
                    .map_err(err)?
                    .id
                    .0
            }
            None => c_session.send(thread, text)?,
        };
        let wall = start.elapsed().as_nanos() as f64;
        times.push(wall);
        let mut own = wall;
        if let (Some(before), Some(after)) = (waited_before, runqueue_wait_ns()) {
            own = (wall - (after - before)).max(0.0);
            busy.push(own);
        }
        let after = wal_index.read();
        causes.push((latency_causes::classify(id, before, after), own));
        before = after;
        if n % 500 == 0 {
            wal_peak_bytes = wal_peak_bytes.max(wal_bytes(&path));
        }
    }
    wal_peak_bytes = wal_peak_bytes.max(wal_bytes(&path));
    drop((rust, c_session, c_store));
    Ok(Latency {
        count,
        via: match inline {
            None => "through the C ABI (default options)",
            Some(Checkpoints::Inline) => "through the Rust API (Checkpoints::Inline)",
            Some(_) => "through the Rust API (Checkpoints::Background, the default)",
        },
        wall: Tail::of(times),
        on_cpu_or_io: (busy.len() == count).then(|| Tail::of(busy)),
        wal_peak_bytes,
        by_cause: causes,
    })
}

/// `chatbench latency [COUNT] [DIR] [rust-inline|rust-background]`: the
/// measurement alone, printed as its table row; with a mode, through the
/// Rust API with that checkpoint setting instead of the C ABI.
pub fn command(argv: &[String]) -> R<()> {
    let count = match argv.first() {
        Some(text) => text
            .parse()
            .map_err(|_| format!("COUNT must be a number, not {text:?}"))?,
        None => 50_000,
    };
    if count == 0 {
        return Err("COUNT must be at least 1".into());
    }
    let temp = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let dir = argv
        .get(1)
        .map_or_else(|| temp.path().to_path_buf(), Into::into);
    let inline = match argv.get(2).map(String::as_str) {
        None => None,
        Some("rust-inline") => Some(Checkpoints::Inline),
        Some("rust-background") => Some(Checkpoints::Background),
        Some(other) => {
            return Err(format!(
                "unknown mode {other:?}: rust-inline or rust-background"
            ));
        }
    };
    let latency = measure_via(&dir, count, inline)?;
    println!("{}", latency.row());
    println!("{}", latency.causes());
    Ok(())
}
