//! Guarantee on PostgreSQL (issue 14): a client process killed with
//! SIGKILL at any instant (mid-send included) leaves every message whose
//! `send` returned, with its exact text, and exact unread counters. The
//! server's own crash safety is its business; this is the client's.
//!
//! Runs against the server named by `CHATCORE_TEST_POSTGRES_URL` (else one
//! line: skipped), `RELIABILITY_KILLS` kills (as `kill9.rs`).

use chatcore::MessageId;
use chatcore_reliability::{Rng, config, grouped, kill_after, pair, size};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn kill_9_of_a_postgres_client_loses_no_acknowledged_message() {
    let Some(server) = pgtest::server("kill -9 of a PostgreSQL client") else {
        return;
    };
    let schema = pgtest::Schema::new(&server, "chatrel_test");
    let url = schema.url().to_string();
    let mut raw = schema.client();

    let kills = size("RELIABILITY_KILLS", 10);
    let mut rng = Rng::from_env();
    println!("seed {} (rerun with RELIABILITY_SEED)", rng.seed());
    let (store, _, _, thread) = pair(Path::new(&url));
    drop(store);

    let started = Instant::now();
    let mut acknowledged: Vec<(MessageId, String)> = Vec::new();
    for run in 0..kills {
        // From the process start (connecting, logging in) to well into its
        // send loop: a PostgreSQL client takes longer to start than a file.
        let lines = kill_after(
            env!("CARGO_BIN_EXE_rel-worker"),
            &["kill-sender", &url, &thread.0.to_string(), &run.to_string()],
            Duration::from_micros(rng.range(300_000, 1_500_000)),
            run,
        );
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            if let ["sent", id, run, seq] = parts.as_slice() {
                acknowledged.push((
                    MessageId(id.parse().unwrap()),
                    format!("run {run} seq {seq}"),
                ));
            }
        }
        // The server ends the killed client's transaction; what it had
        // acknowledged is there, and the counters agree with the messages.
        let store = chatcore::Store::open_with(&url, config()).unwrap();
        let report = store.verify_unread().unwrap();
        assert!(
            report.mismatches.is_empty(),
            "after kill {}: {:?}",
            run + 1,
            report.mismatches
        );
        // Every acknowledged message, read back in one query (one per
        // message made the check the bulk of this test's time).
        let ids: Vec<i64> = acknowledged.iter().map(|(id, _)| id.0).collect();
        let stored: HashMap<i64, String> = raw
            .query("SELECT id, text FROM messages WHERE id = ANY($1)", &[&ids])
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        for (id, text) in &acknowledged {
            assert_eq!(
                stored.get(&id.0),
                Some(text),
                "after kill {}: message {id}",
                run + 1
            );
        }
    }
    println!(
        "kill -9 on PostgreSQL: {kills} kills, {} acknowledged messages, all present with their \
         exact text; unread counters verified after every kill ({:.1} s)",
        grouped(acknowledged.len() as u64),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acknowledged.len() as u64 >= kills,
        "too few sends happened to prove anything"
    );
    drop(raw);
}
