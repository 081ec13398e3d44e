//! Guarantee: a process killed with SIGKILL at any instant leaves a file
//! that opens, passes `integrity_check` and `foreign_key_check`, keeps its
//! unread counters right, and holds every message whose `send` returned.
//!
//! `RELIABILITY_KILLS` sets the number of kills (`cargo test`: 10; CI: 60;
//! full run: 200).

use chatcore::MessageId;
use chatcore_reliability::{Rng, check_file, grouped, kill_after, pair, raw, size, stored_text};
use std::time::{Duration, Instant};

#[test]
fn kill_9_at_random_moments_loses_no_acknowledged_message() {
    let kills = size("RELIABILITY_KILLS", 10);
    let mut rng = Rng::from_env();
    println!("seed {} (rerun with RELIABILITY_SEED)", rng.seed());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.db");
    let (store, _, _, thread) = pair(&path);
    drop(store);

    let started = Instant::now();
    let mut acknowledged: Vec<(MessageId, String)> = Vec::new();
    let mut killed_before_first_send = 0;
    for run in 0..kills {
        // Anywhere from the process start (opening, migration check, login)
        // to well into its send loop.
        let lines = kill_after(
            env!("CARGO_BIN_EXE_rel-worker"),
            &[
                "kill-sender",
                path.to_str().unwrap(),
                &thread.0.to_string(),
                &run.to_string(),
            ],
            Duration::from_micros(rng.range(0, 120_000)),
            run,
        );
        if lines.is_empty() {
            killed_before_first_send += 1;
        }
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            if let ["sent", id, run, seq] = parts.as_slice() {
                acknowledged.push((
                    MessageId(id.parse().unwrap()),
                    format!("run {run} seq {seq}"),
                ));
            }
        }

        let check = check_file(&path);
        let conn = raw(&path);
        for (id, text) in &acknowledged {
            assert_eq!(
                stored_text(&conn, *id).as_deref(),
                Some(text.as_str()),
                "after kill {}: acknowledged message {id} is missing or changed",
                run + 1
            );
        }
        assert!(check.messages >= acknowledged.len() as u64);
    }
    println!(
        "kill -9: {kills} kills ({killed_before_first_send} before the first send), \
         {} acknowledged messages, all present with their exact text; \
         integrity_check ok, foreign_key_check empty, unread counters verified after every kill \
         ({:.1} s)",
        grouped(acknowledged.len() as u64),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acknowledged.len() as u64 >= kills,
        "too few sends happened to prove anything"
    );
}
