//! Encryption at rest (issue 18): the same operations on an encrypted store
//! (SQLCipher, raw key) against a plain one, built alike in the same run,
//! alternating in the same rounds; and the time to open a store with a raw
//! key, with a passphrase (SQLCipher's default PBKDF2 derivation) and plain.
//! Targets: every encrypted row ≤ 1.3× plain; a passphrase open ≤ 100 ms.

use crate::cipher_floor;
use crate::stats::{Plan, human};
use crate::{R, Row, check, err, measure, table};
use chatcore::{Config, DatabaseKey, MessageQuery, NewUser, Session, Store, ThreadId, ThreadQuery};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

const PASSWORD: &str = "bench-password";

/// One store of the comparison: its sender, reader and thread.
struct Side {
    store: Store,
    sender: Session,
    reader: Session,
    thread: ThreadId,
}

fn config(key: Option<&DatabaseKey>) -> Config {
    let config = Config::insecure_fast_for_tests();
    match key {
        Some(key) => config.key(key.clone()),
        None => config,
    }
}

/// A store at `path` with a `messages`-message thread between two users,
/// and `threads` more threads of the reader's (an inbox to page).
fn build(path: &Path, key: Option<&DatabaseKey>, messages: usize, threads: usize) -> R<Side> {
    let store = Store::open_with(path, config(key)).map_err(err)?;
    let register = |name: &str| {
        store
            .register(&NewUser {
                email: &format!("{name}@bench.example"),
                username: name,
                password: PASSWORD,
                ..Default::default()
            })
            .map_err(err)
    };
    let (sender_user, reader_user) = (register("sender")?, register("reader")?);
    let login = |name: &str| {
        store
            .login(&format!("{name}@bench.example"), PASSWORD)
            .map_err(err)
    };
    let (sender, reader) = (login("sender")?, login("reader")?);
    for i in 0..threads {
        let other = register(&format!("other{i}"))?;
        let (thread, _) = reader
            .create_thread(&[reader_user.id, other.id])
            .map_err(err)?;
        reader.send(thread.id, "hello there").map_err(err)?;
    }
    let (thread, _) = sender
        .create_thread(&[sender_user.id, reader_user.id])
        .map_err(err)?;
    for i in 0..messages {
        sender
            .send(thread.id, &format!("message {i}: some ordinary chat text"))
            .map_err(err)?;
    }
    Ok(Side {
        store,
        sender,
        reader,
        thread: thread.id,
    })
}

/// Median wall time of `n` opens (and drops) of `path` with `key`.
fn open_time(path: &Path, key: Option<&DatabaseKey>, n: usize) -> R<f64> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let store = Store::open_with(path, config(key)).map_err(err)?;
        times.push(started.elapsed().as_nanos() as f64);
        drop(store);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// `chatbench encrypted [--quick]`: only this section, printed as markdown.
pub fn command(argv: &[String]) -> R<()> {
    let mut quick = false;
    for arg in argv {
        match arg.as_str() {
            "--quick" => quick = true,
            other => return Err(format!("encrypted: unknown argument {other:?}")),
        }
    }
    let temp = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    println!("{}", section(temp.path(), crate::plan_for(quick), quick)?);
    Ok(())
}

/// Median wall times of `n` opens (and drops) of the store at `path` with
/// `passphrase`, and of `n` opens of its floor, alternating: a bare
/// SQLCipher connection keyed with the passphrase (SQLCipher's own PBKDF2
/// derivation, 256,000 rounds of HMAC-SHA512) reading the schema, which
/// needs the key. No store can open faster with SQLCipher's defaults.
fn passphrase_open_times(path: &Path, passphrase: &str, n: usize) -> R<(f64, f64)> {
    let key = DatabaseKey::passphrase(passphrase).map_err(err)?;
    let mut store_times = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        store_times.push(open_time(path, Some(&key), 1)?);
        let started = Instant::now();
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.pragma_update(None, "key", passphrase)
            .map_err(|e| e.to_string())?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|e| format!("the bare SQLCipher open: {e}"))?;
        times.push(started.elapsed().as_nanos() as f64);
        check(tables > 0, || {
            "the bare SQLCipher open saw no tables".into()
        })?;
    }
    times.sort_by(f64::total_cmp);
    store_times.sort_by(f64::total_cmp);
    Ok((store_times[n / 2], times[n / 2]))
}

/// Measures the encrypted rows and the open times; returns the markdown
/// section for the report.
pub fn section(dir: &Path, plan: Plan, quick: bool) -> R<String> {
    let (messages, threads) = if quick { (2_000, 60) } else { (100_000, 200) };
    eprintln!("encrypted store against plain ({messages}-message thread, {threads} inbox threads)");
    let key = DatabaseKey::Raw([0x42; 32]);
    let key_text = format!("x'{}'", "42".repeat(32));
    let enc = build(&dir.join("encrypted.db"), Some(&key), messages, threads)?;
    let plain = build(&dir.join("plain-for-encrypted.db"), None, messages, threads)?;
    let mut rows: Vec<Row> = Vec::new();
    let (mut n, mut m) = (0usize, 0usize);
    rows.push(measure(
        "send",
        "",
        plan,
        &mut || {
            n += 1;
            enc.sender
                .send(enc.thread, &format!("encrypted send {n}"))
                .map(|_| ())
                .map_err(err)
        },
        Some(&mut || {
            m += 1;
            plain
                .sender
                .send(plain.thread, &format!("encrypted send {m}"))
                .map(|_| ())
                .map_err(err)
        }),
        "plain",
    )?);
    let (mut e, mut p) = (0usize, 0usize);
    let enc_pages =
        cipher_floor::pages_per_send(&dir.join("encrypted.db"), Some(&key_text), &mut || {
            e += 1;
            enc.sender
                .send(enc.thread, &format!("counted send {e}"))
                .map(|_| ())
                .map_err(err)
        })?;
    let plain_pages =
        cipher_floor::pages_per_send(&dir.join("plain-for-encrypted.db"), None, &mut || {
            p += 1;
            plain
                .sender
                .send(plain.thread, &format!("counted send {p}"))
                .map(|_| ())
                .map_err(err)
        })?;
    eprintln!("  pages (WAL frames) per send: encrypted {enc_pages}, plain {plain_pages}");
    let bare = cipher_floor::bare_commit_row(dir, plan, enc_pages)?;
    let page = |side: &Side| -> R<()> {
        let page = side
            .reader
            .list_messages(side.thread, &MessageQuery::default())
            .map_err(err)?;
        check(page.items.len() == 50, || "a short history page".into())
    };
    rows.push(measure(
        &format!("history page of 50, top ({messages} msgs)"),
        "",
        plan,
        &mut || page(&enc),
        Some(&mut || page(&plain)),
        "plain",
    )?);
    let inbox = |side: &Side| -> R<()> {
        let page = side
            .reader
            .list_threads(&ThreadQuery::default())
            .map_err(err)?;
        check(page.items.len() == 50, || "a short inbox page".into())
    };
    rows.push(measure(
        &format!("inbox page of 50 ({} threads)", threads + 1),
        "",
        plan,
        &mut || inbox(&enc),
        Some(&mut || inbox(&plain)),
        "plain",
    )?);
    let unread = |side: &Side| -> R<()> {
        let count = side.reader.unread_count().map_err(err)?;
        check(count > 0, || "no unread messages".into())
    };
    rows.push(measure(
        "unread count",
        "",
        plan,
        &mut || unread(&enc),
        Some(&mut || unread(&plain)),
        "plain",
    )?);
    let enc_path = dir.join("encrypted.db");
    let pass_path = dir.join("passphrase.db");
    const PASSPHRASE: &str = "a benchmark passphrase";
    let passphrase = DatabaseKey::passphrase(PASSPHRASE).map_err(err)?;
    enc.store
        .backup_with_key(&pass_path, Some(&passphrase))
        .map_err(err)?;
    let plain_path = dir.join("plain-for-encrypted.db");
    let opens = if quick { 5 } else { 21 };
    let raw_open = open_time(&enc_path, Some(&key), opens)?;
    let (pass_open, floor_open) = passphrase_open_times(&pass_path, PASSPHRASE, opens)?;
    let plain_open = open_time(&plain_path, None, opens)?;
    eprintln!(
        "  open: raw key {}, passphrase (PBKDF2) {}, plain {}; floor: SQLCipher alone with the passphrase {}",
        human(raw_open),
        human(pass_open),
        human(plain_open),
        human(floor_open)
    );
    drop((enc, plain));

    let mut out = String::new();
    out.push('\n');
    table(
        &mut out,
        "| encrypted store (SQLCipher, raw key) | encrypted median (p10–p90) | plain median (p10–p90) | encrypted / plain | p10 / p10 | note |",
        &rows,
    );
    table(
        &mut out,
        "\n| floor under the send | encrypted median (p10–p90) | plain median (p10–p90) | encrypted / plain | p10 / p10 | note |",
        std::slice::from_ref(&bare),
    );
    let worst = rows.iter().filter_map(Row::ratio).fold(f64::NAN, f64::max);
    // The page crypto a send's pages need (the bare commit's difference)
    // against what the 1.3× target leaves for it (0.3 × the plain send).
    let plain_send = rows[0].floor.as_ref().map_or(f64::NAN, |f| f.median());
    let crypto = bare.core.median() - bare.floor.as_ref().map_or(f64::NAN, |f| f.median());
    let allowed = 0.3 * plain_send;
    let _ = writeln!(
        out,
        "\nA send commits {enc_pages} pages on the encrypted store ({plain_pages} on the plain \
         one), each encrypted (AES-256-CBC) and authenticated (HMAC-SHA512) by SQLCipher. \
         Committing that many pages costs {} more with bare SQLCipher than with bare SQLite; \
         the 1.3× target leaves an encrypted send {} (0.3 × the plain send's {}) for all of it.",
        human(crypto),
        human(allowed),
        human(plain_send)
    );
    let _ = writeln!(
        out,
        "\n| opening a store (median of {opens}) | time |\n|---|---|\n\
         | encrypted, raw key (no key derivation) | {} |\n\
         | encrypted, passphrase (PBKDF2-HMAC-SHA512, 256,000 iterations) | {} |\n\
         | plain | {} |\n\
         | floor: one bare SQLCipher connection with the passphrase (one PBKDF2) | {} |\n\
         | passphrase open / floor | {:.2} |\n\n\
         | target | measured | met? |\n|---|---|---|\n\
         | every encrypted row ≤ 1.3× plain | {worst:.2} (a send's page crypto alone: {}, the target leaves {}) | {} |\n\
         | open with a passphrase ≤ 100 ms | {} | {} |\n\n\
         A passphrase open cannot beat its floor: if the floor alone is over 100 ms, \
         the target is out of reach on this machine with SQLCipher's default derivation.",
        human(raw_open),
        human(pass_open),
        human(plain_open),
        human(floor_open),
        pass_open / floor_open,
        human(crypto),
        human(allowed),
        if worst <= 1.3 { "met" } else { "**missed**" },
        human(pass_open),
        if pass_open <= 100e6 {
            "met"
        } else {
            "**missed**"
        },
    );
    Ok(out)
}
