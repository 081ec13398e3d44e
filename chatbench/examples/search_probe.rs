//! A scratch SQL shell on the bundled SQLite (with FTS5), for timing
//! statements against a kept benchmark file (a diagnostic, not part of the
//! benchmark): `search_probe DB < statements.sql`, one statement a line;
//! a line `!N SQL` runs it N times and prints the median; `.q SQL` prints
//! EXPLAIN QUERY PLAN.
use rusqlite::Connection;
use std::io::BufRead;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: search_probe DB")?;
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
    )?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        let (times, sql) = match line.strip_prefix('!') {
            Some(rest) => {
                let (n, sql) = rest.split_once(' ').ok_or("!N SQL")?;
                (n.parse::<usize>()?, sql)
            }
            None => (1, line),
        };
        let (plan, sql) = match sql.strip_prefix(".q ") {
            Some(sql) => (true, format!("EXPLAIN QUERY PLAN {sql}")),
            None => (false, sql.to_string()),
        };
        let mut durations = Vec::new();
        let mut shown = Vec::new();
        let mut count = 0;
        for _ in 0..times {
            let start = Instant::now();
            let mut stmt = conn.prepare_cached(&sql)?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([])?;
            count = 0;
            shown.clear();
            while let Some(row) = rows.next()? {
                count += 1;
                if shown.len() < if plan { 100 } else { 3 } {
                    let values: Vec<String> = (0..columns)
                        .map(|i| match row.get_ref(i) {
                            Ok(rusqlite::types::ValueRef::Text(t)) => {
                                String::from_utf8_lossy(t).chars().take(80).collect()
                            }
                            Ok(v) => format!("{v:?}").chars().take(80).collect(),
                            Err(_) => "?".into(),
                        })
                        .collect();
                    shown.push(values.join(" | "));
                }
            }
            durations.push(start.elapsed());
        }
        let mean = durations.iter().sum::<std::time::Duration>() / times as u32;
        durations.sort();
        println!("> {sql}");
        for s in &shown {
            println!("  {s}");
        }
        println!(
            "  {count} rows, median {:?} mean {mean:?} of {times}",
            durations[times / 2]
        );
    }
    Ok(())
}
