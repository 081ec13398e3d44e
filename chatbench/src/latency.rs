//! Tail latency of single sends through the C ABI (issue 12, item 10):
//! `count` sends in a row on a fresh file opened with the default options,
//! each one timed on its own, as a host calling `chat_message_send` sees it.
//!
//! Also runnable alone: `chatbench latency [COUNT] [DIR]` (default 50,000).

use crate::data::{self, PASSWORD};
use crate::ffi;
use crate::stats::human;
use chatcore::{NewUser, Store};
use std::ffi::CString;
use std::path::Path;
use std::time::Instant;

type R<T> = Result<T, String>;

/// The distribution of single-send times, and how big the WAL got.
pub struct Latency {
    pub count: usize,
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
    pub over_1ms: usize,
    pub over_5ms: usize,
    /// The largest WAL file seen (sampled every 500 sends), in bytes.
    pub wal_peak_bytes: u64,
}

impl Latency {
    /// One line for the benchmark's table.
    pub fn row(&self) -> String {
        format!(
            "| single sends through the C ABI, {} in a row (fresh file, default options) | \
             p50 {} · p99 {} · p99.9 {} · max {} · {} over 1 ms, {} over 5 ms · WAL peak {:.1} MiB |",
            self.count,
            human(self.p50_ns),
            human(self.p99_ns),
            human(self.p999_ns),
            human(self.max_ns),
            self.over_1ms,
            self.over_5ms,
            self.wal_peak_bytes as f64 / (1024.0 * 1024.0),
        )
    }

    /// The row and its two targets (printed, never enforced), as a
    /// markdown table to append to the benchmark's output.
    pub fn table(&self) -> String {
        let met = |ok: bool| if ok { "met" } else { "**missed**" };
        format!(
            "\n| send tail latency | value |\n|---|---|\n{}\n\
             | target: p99.9 ≤ 1 ms | {} |\n| target: no send over 5 ms | {} |\n",
            self.row(),
            met(self.p999_ns <= 1e6),
            met(self.over_5ms == 0),
        )
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
    let store = ffi::Store::open(&path)?;
    let session = store.login("lat_ann@bench.example", PASSWORD)?;
    let mut times = Vec::with_capacity(count);
    let mut wal_peak_bytes = 0;
    for n in 0..count {
        let text = texts[n % texts.len()].as_ptr();
        let start = Instant::now();
        session.send(thread, text)?;
        times.push(start.elapsed().as_nanos() as f64);
        if n % 500 == 0 {
            wal_peak_bytes = wal_peak_bytes.max(wal_bytes(&path));
        }
    }
    wal_peak_bytes = wal_peak_bytes.max(wal_bytes(&path));
    drop(session);
    drop(store);
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok(Latency {
        count,
        p50_ns: at(0.5),
        p99_ns: at(0.99),
        p999_ns: at(0.999),
        max_ns: times.last().copied().unwrap_or(f64::NAN),
        over_1ms: times.iter().filter(|&&t| t > 1e6).count(),
        over_5ms: times.iter().filter(|&&t| t > 5e6).count(),
        wal_peak_bytes,
    })
}

/// `chatbench latency [COUNT] [DIR]`: the measurement alone, printed as
/// its table row.
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
    let latency = measure(&dir, count)?;
    println!("{}", latency.row());
    Ok(())
}
