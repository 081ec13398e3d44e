//! Guarantees about sessions and passwords: random 256-bit tokens, never
//! stored in clear; logout seen by another process at once; argon2id at
//! OWASP cost with a 16-byte salt; unknown email and wrong password alike
//! in answer and in time.
//!
//! Already proved in `chatcore/tests`: expiry exact to the millisecond
//! (`refusals.rs`), a weaker hash upgraded on login only (`unread.rs`).
//! `RELIABILITY_TOKENS` sets the number of tokens (`cargo test`: 2,000;
//! CI: 20,000; full: 10⁶), `RELIABILITY_LOGIN_ATTEMPTS` the timed logins of
//! each kind (`cargo test`: 30; CI: 100).

use chatcore::{Config, NewUser, Store};
use chatcore_reliability::{PASSWORD, grouped, pair, size, user};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn tokens_are_256_random_bits_without_collision_and_never_stored_in_clear() {
    let count = size("RELIABILITY_TOKENS", 2_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    let (store, ann, _, _) = pair(&path);
    let mut seen = HashSet::new();
    let mut ones = [0u64; 256];
    let started = Instant::now();
    let memory = Store::open_in_memory_with(chatcore_reliability::config()).unwrap();
    user(&memory, "ann");
    for _ in 0..count {
        let session = chatcore_reliability::login(&memory, "ann").unwrap();
        let token = session.token();
        assert_eq!(token.len(), 64, "256 bits as 64 hex digits");
        let bytes = hex(token);
        for (bit, ones) in ones.iter_mut().enumerate() {
            *ones += u64::from(bytes[bit / 8] >> (bit % 8) & 1);
        }
        assert!(seen.insert(bytes), "a token repeated");
        // Sessions are rows; keep the table small.
        session.logout().unwrap();
    }
    // Every bit is set about half the time (4.5 sigma bounds).
    let half = count as f64 / 2.0;
    let sigma = (count as f64).sqrt() / 2.0;
    for (bit, ones) in ones.iter().enumerate() {
        assert!(
            (*ones as f64 - half).abs() < 4.5 * sigma + 1.0,
            "bit {bit} set {ones} times of {count}"
        );
    }
    // No form of a live token is anywhere in the file or its WAL.
    let token = ann.token().to_string();
    let raw_bytes = hex(&token);
    let mut scanned = 0;
    for file in ["tokens.db", "tokens.db-wal"] {
        let Ok(content) = std::fs::read(dir.path().join(file)) else {
            continue;
        };
        scanned += content.len();
        for needle in [
            token.as_bytes(),
            &token.to_uppercase().into_bytes(),
            &raw_bytes[..],
        ] {
            assert!(
                !content.windows(needle.len()).any(|w| w == needle),
                "a token is stored in clear in {file}"
            );
        }
    }
    drop(store);
    println!(
        "tokens: {} tokens of 256 bits, no collision, every bit within 4.5 sigma of half \
         ({:.1} s); no live token (hex, HEX or raw bytes) in {} bytes of database and WAL",
        grouped(count),
        started.elapsed().as_secs_f64(),
        grouped(scanned as u64)
    );
}

fn hex(token: &str) -> Vec<u8> {
    (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn logout_in_one_process_ends_the_session_in_another_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logout.db");
    let (_store, ann, _, _) = pair(&path);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rel-worker"))
        .args(["hold-session", path.to_str().unwrap(), ann.token()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(output.next().unwrap().unwrap(), "ready");
    let mut ask = |input: &mut std::process::ChildStdin| {
        writeln!(input, "check").unwrap();
        output.next().unwrap().unwrap()
    };
    assert_eq!(ask(&mut input), "ok");
    ann.logout().unwrap();
    let after = ask(&mut input);
    drop(input);
    child.wait().unwrap();
    assert_eq!(after, "session_invalid");
    println!("logout: the other process's next call, right after logout returned: {after}");
}

#[test]
fn new_hashes_are_owasp_argon2id_with_a_16_byte_salt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.db");
    let store = Store::open_with(&path, Config::default()).unwrap();
    store
        .register(&NewUser {
            email: "ann@example.com",
            username: "ann",
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap();
    let hash: String = chatcore_reliability::raw(&path)
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    let parts: Vec<&str> = hash.split('$').collect();
    assert_eq!(
        &parts[..4],
        ["", "argon2id", "v=19", "m=19456,t=2,p=1"],
        "{hash}"
    );
    // PHC strings carry the salt in unpadded base64: 16 bytes = 22 characters.
    assert_eq!(parts[4].len(), 22, "salt of {hash}");
    assert_eq!(parts[5].len(), 43, "32-byte output");
    assert!(!hash.contains(PASSWORD));
    println!("hash: $argon2id$v=19$m=19456,t=2,p=1$ with a 16-byte salt and a 32-byte hash");
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

#[test]
fn unknown_email_and_wrong_password_take_about_the_same_time() {
    let attempts = size("RELIABILITY_LOGIN_ATTEMPTS", 30) as usize;
    let store = Store::open_in_memory_with(Config::default()).unwrap();
    store
        .register(&NewUser {
            email: "ann@example.com",
            username: "ann",
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap();
    let time = |email: &str, password: &str| {
        let started = Instant::now();
        let err = store.login(email, password).unwrap_err();
        assert_eq!(err.code(), "invalid_credentials");
        started.elapsed().as_secs_f64() * 1000.0
    };
    // Warm up (the dummy hash is made on first need).
    time("nobody@example.com", "whatever123");
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..attempts {
        // Interleaved, so load on the machine hits both alike.
        wrong.push(time("ann@example.com", &format!("wrong password {i}")));
        unknown.push(time(&format!("nobody{i}@example.com"), "wrong password"));
    }
    let (wrong, unknown) = (median(wrong), median(unknown));
    let ratio = wrong.max(unknown) / wrong.min(unknown);
    println!(
        "login timing: median wrong password {wrong:.2} ms, unknown email {unknown:.2} ms \
         over {attempts} attempts each: ratio {ratio:.3} (target 1.2, asserted below 2)"
    );
    assert!(ratio < 2.0, "ratio {ratio}");
}
