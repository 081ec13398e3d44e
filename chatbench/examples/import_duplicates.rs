//! Import cost with and without duplicate-pair threads (issue 12, item 12).
//!
//! The original service allowed two threads for one pair; the import merges
//! the second into the first. This generates dumps of N threads (each with
//! one message) where every pair appears twice (N/2 merges), and the same
//! size with every pair distinct, and times `import_django` on each into a
//! fresh file store. The cost should grow linearly with N in both columns.
//!
//! ```sh
//! cargo run -p chatbench --example import_duplicates            # 25k, 50k, 100k
//! cargo run -p chatbench --example import_duplicates -- 10000   # other sizes
//! ```

use chatcore::{Config, Store};
use std::fmt::Write as _;
use std::time::Instant;

const HASH: &str = "pbkdf2_sha256$1000$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

/// `threads` threads over enough users that each pair is used once
/// (`duplicates` false) or twice in a row (`duplicates` true).
fn dump(threads: usize, duplicates: bool) -> String {
    let pairs = if duplicates {
        threads.div_ceil(2)
    } else {
        threads
    };
    // Pairs (1, k) for k = 2..: one hub user and one user per pair.
    let users = pairs + 1;
    let mut out = String::from("[\n");
    for pk in 1..=users {
        writeln!(
            out,
            r#"{{"model": "user.user", "pk": {pk}, "fields": {{"password": "{HASH}", "email": "u{pk}@example.com", "username": "u{pk}"}}}},"#
        )
        .unwrap();
    }
    for pk in 1..=threads {
        let pair = if duplicates { (pk - 1) / 2 } else { pk - 1 };
        writeln!(
            out,
            r#"{{"model": "chat.thread", "pk": {pk}, "fields": {{"participants": [1, {}], "created": "2024-01-01T00:00:00Z"}}}},"#,
            pair + 2
        )
        .unwrap();
    }
    for pk in 1..=threads {
        let last = pk == threads;
        writeln!(
            out,
            r#"{{"model": "chat.message", "pk": {pk}, "fields": {{"thread": {pk}, "sender": 1, "text": "message {pk}", "created": "2024-01-01T00:00:01Z"}}}}{}"#,
            if last { "" } else { "," }
        )
        .unwrap();
    }
    out.push(']');
    out
}

/// CPU seconds (user + system) this process has used, from /proc (Linux),
/// so a figure taken on a busy machine still means something; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name (which ends with ')') come the state (field
    // 3), ..., utime (field 14) and stime (field 15), in clock ticks (100 a
    // second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => 0.0,
    }
}

/// Wall and CPU seconds of one import into a fresh file store.
fn time_import(json: &str) -> (f64, f64, chatcore::ImportReport) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path().join("chat.db"), Config::default()).unwrap();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let report = store.import_django(json.as_bytes(), false).unwrap();
    (start.elapsed().as_secs_f64(), cpu_seconds() - cpu, report)
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).map(|a| a.parse()).collect() {
        Ok(sizes) if !Vec::<usize>::is_empty(&sizes) => sizes,
        _ => vec![25_000, 50_000, 100_000],
    };
    println!("threads  distinct pairs: wall, cpu   duplicate pairs: wall, cpu   merged");
    for threads in sizes {
        let (plain, plain_cpu, _) = time_import(&dump(threads, false));
        let (dup, dup_cpu, report) = time_import(&dump(threads, true));
        println!(
            "{threads:>7}  {plain:>13.2} s {plain_cpu:>6.2} s  {dup:>18.2} s {dup_cpu:>6.2} s  {:>6}",
            report.threads_merged,
        );
    }
}
