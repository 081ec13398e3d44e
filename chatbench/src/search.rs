//! `chatbench search [--quick] [--messages N] [--keep DIR]`: full-text
//! search (issue 16) at 1M messages (50,000 with --quick, N with
//! --messages; --keep leaves the file in DIR/search.db), each row against a
//! floor in the same run:
//!
//! - search rows: chatcore's `Session::search` against the bare FTS5 query
//!   doing the same join, ranking and snippet on the same file;
//! - a `LIKE '%word%'` scan (what Delta Chat does) as a reference;
//! - send with index upkeep against sends on a copy of the file without
//!   the search index (`search_send`);
//! - bulk load with indexing, and `rebuild_search_index` alone (the index
//!   part of it); the index size against the text bytes.
//!
//! Texts: a Zipf-like (s = 1) draw over a 4,000-word vocabulary, 4 to 16
//! words a message, plus 2 % Chinese/Japanese, 1 % Thai and 1 % Arabic
//! messages; one rare word in 60 messages. Half the messages are in the
//! searching user's 10 threads, half in 10 threads of other users.

use crate::data::Rng;
use crate::stats::{Plan, human};
use crate::{R, check, err, measure};
use chatcore::{
    BulkMessage, BulkUser, Config, SearchOrder, SearchQuery, Session, Store, ThreadId, UserId,
};
use rusqlite::Connection;
use std::path::Path;
use std::time::{Duration, Instant};

const VOCABULARY: usize = 4_000;
pub(crate) const RARE: &str = "zanzibarite";
const RARE_COUNT: u64 = 60;
pub(crate) const PASSWORD: &str = "bench-password";
const SYLLABLES: [&str; 20] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "pe", "da", "gu", "ri", "mo", "fa", "te", "zo",
    "bi", "ha", "ju", "we",
];
const THAI: [&str; 6] = ["สวัสดี", "ร้านอาหาร", "ประชุม", "พรุ่งนี้", "ขอบคุณ", "เดินทาง"];
const ARABIC: [&str; 6] = ["مرحبا", "الاجتماع", "غدا", "شكرا", "السفر", "المطعم"];

/// The `i`th word of the vocabulary (rank `i` in the Zipf draw).
fn word(i: usize) -> String {
    let (mut n, mut w) = (i + 20, String::new());
    while n > 0 {
        w.push_str(SYLLABLES[n % 20]);
        n /= 20;
    }
    w
}

struct Texts {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Texts {
    fn new() -> Texts {
        let mut total = 0.0;
        let cumulative = (1..=VOCABULARY)
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Texts {
            words: (0..VOCABULARY).map(word).collect(),
            cumulative,
        }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative[VOCABULARY - 1];
        let x = (rng.below(1 << 30) as f64 / (1u64 << 30) as f64) * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(VOCABULARY - 1)
    }

    /// The `n`th of `messages` texts, and the vocabulary words in it.
    fn text(&self, n: u64, messages: u64, rng: &mut Rng, seen: &mut Vec<usize>) -> String {
        seen.clear();
        let kind = rng.below(100);
        let mut text = match kind {
            0 | 1 => (0..8 + rng.below(12))
                .map(|_| match rng.below(3) {
                    0 => char::from_u32(0x30A2 + rng.below(80) as u32).unwrap_or('ア'),
                    _ => char::from_u32(0x4E00 + rng.below(3000) as u32).unwrap_or('東'),
                })
                .collect(),
            2 => (0..3 + rng.below(4))
                .map(|_| THAI[rng.below(6) as usize])
                .collect(),
            3 => (0..3 + rng.below(4))
                .map(|_| ARABIC[rng.below(6) as usize])
                .collect::<Vec<_>>()
                .join(" "),
            _ => (0..4 + rng.below(13))
                .map(|_| {
                    let i = self.draw(rng);
                    seen.push(i);
                    self.words[i].as_str()
                })
                .collect::<Vec<_>>()
                .join(" "),
        };
        if n % (messages / RARE_COUNT) == 7 {
            text.push(' ');
            text.push_str(RARE);
        }
        text
    }
}

/// Loads `messages` messages into `store`; returns the searcher's id, a
/// thread of theirs, the common word and the load rate.
fn load(store: &Store, messages: u64, hash: &str) -> R<(UserId, ThreadId, String, f64)> {
    let texts = Texts::new();
    let (users, threads) = store
        .bulk_load(|bulk| {
            let mut users = Vec::new();
            for n in 0..31 {
                users.push(bulk.add_user(&BulkUser {
                    email: &format!("s{n}@example.com"),
                    username: &format!("s{n}"),
                    password_hash: (n == 0).then_some(hash),
                    ..Default::default()
                })?);
            }
            let now = chrono::Utc::now();
            let mut threads = Vec::new();
            for t in 0..20 {
                let pair = match t < 10 {
                    true => [users[0], users[1 + t]],
                    false => [users[1 + t], users[11 + t]],
                };
                threads.push((bulk.add_thread(pair, now)?.0, pair));
            }
            Ok((users, threads))
        })
        .map_err(err)?
        .0;
    let mut df = vec![0u64; VOCABULARY];
    let mut rng = Rng::new(99);
    let mut seen = Vec::new();
    let base = chrono::Utc::now().timestamp_millis() - messages as i64;
    // The texts of each 100,000-message transaction are drawn before it, so
    // the rate is bulk_load's own (the Zipf draws are not chatcore's work).
    let mut loading = Duration::ZERO;
    let mut loaded = 0;
    while loaded < messages {
        let end = (loaded + 100_000).min(messages);
        let chunk: Vec<String> = (loaded..end)
            .map(|n| {
                let text = texts.text(n, messages, &mut rng, &mut seen);
                seen.sort_unstable();
                seen.dedup();
                for &i in &seen {
                    df[i] += 1;
                }
                text
            })
            .collect();
        let started = Instant::now();
        store
            .bulk_load(|bulk| {
                for (n, text) in (loaded..end).zip(&chunk) {
                    let (thread, pair) = threads[(n % 20) as usize];
                    let at = chrono::DateTime::from_timestamp_millis(base + n as i64)
                        .unwrap_or_default();
                    bulk.add_message(&BulkMessage {
                        thread_id: thread,
                        sender_id: pair[(n / 3 % 2) as usize],
                        text,
                        created_at: at,
                        read_at: Some(at),
                    })?;
                }
                Ok(())
            })
            .map_err(err)?;
        loading += started.elapsed();
        loaded = end;
    }
    let rate = messages as f64 / loading.as_secs_f64();
    // The common word: the one in closest to 8 % of the messages.
    let distance = |i: usize| (df[i] as f64 / messages as f64 - 0.08).abs();
    let common = (0..VOCABULARY)
        .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(0);
    eprintln!(
        "  common word {:?}: in {:.1} % of the messages",
        texts.words[common],
        100.0 * df[common] as f64 / messages as f64
    );
    Ok((users[0], threads[0].0, texts.words[common].clone(), rate))
}

/// The bare FTS5 query: the same join, ranking, snippet and limit as
/// chatcore's, read into owned values.
fn floor_search(conn: &Connection, user: i64, expr: &str, recent: bool) -> R<usize> {
    // A careful engineer computes bm25 only to order by it.
    let (order, rank) = match recent {
        true => ("messages_fts.rowid DESC", "0.0"),
        false => (
            "bm25(messages_fts), messages_fts.rowid DESC",
            "bm25(messages_fts)",
        ),
    };
    let sql = format!(
        "SELECT m.id, m.thread_id, m.sender_id, m.text, m.created_at, m.read_at,
                u.id, u.email, u.username, u.first_name, u.last_name, u.created_at,
                snippet(messages_fts, 0, char(1), char(2), '…', 12), {rank}
         FROM messages_fts
         JOIN messages m ON m.id = messages_fts.rowid
         JOIN members mb ON mb.thread_id = m.thread_id AND mb.user_id = ?1
         JOIN users u ON u.id = mb.other_id
         WHERE messages_fts MATCH ?2 ORDER BY {order} LIMIT 21"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map(rusqlite::params![user, expr], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(8)?,
                row.get::<_, String>(12)?,
                row.get::<_, f64>(13)?,
            ))
        })
        .map_err(|e| e.to_string())?;
    Ok(rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?
        .len())
}

fn like_scan(conn: &Connection, user: i64, word: &str) -> R<usize> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT m.id, m.text FROM messages m
             JOIN members mb ON mb.thread_id = m.thread_id AND mb.user_id = ?1
             WHERE m.text LIKE ?2 ORDER BY m.id DESC LIMIT 21",
        )
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map(rusqlite::params![user, format!("%{word}%")], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(|e| e.to_string())?;
    Ok(rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?
        .len())
}

pub(crate) fn drop_search(path: &Path) -> R<()> {
    Connection::open(path)
        .and_then(|conn| {
            conn.execute_batch(
                "DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_delete;
                 DROP TRIGGER messages_search_update; DROP TABLE messages_fts;
                 DROP TABLE messages_trigram; DROP TABLE search_state;",
            )
        })
        .map_err(|e| format!("dropping the search index: {e}"))
}

fn size_of(conn: &Connection, pattern: &str) -> R<i64> {
    conn.query_row(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?1",
        [pattern],
        |row| row.get(0),
    )
    .map_err(|e| e.to_string())
}

/// `chatbench search [--quick] [--messages N] [--keep DIR]`.
pub fn command(argv: &[String]) -> R<()> {
    let quick = argv.iter().any(|a| a == "--quick");
    let value = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .map(|i| {
                argv.get(i + 1)
                    .cloned()
                    .ok_or(format!("{flag} needs a value"))
            })
            .transpose()
    };
    let messages: u64 = match value("--messages")? {
        Some(n) => n
            .parse()
            .ok()
            .filter(|&n| n >= RARE_COUNT)
            .ok_or(format!("--messages: a count of at least {RARE_COUNT}"))?,
        None if quick => 50_000,
        None => 1_000_000,
    };
    let keep = value("--keep")?;
    let plan = Plan {
        rounds: if quick { 3 } else { 20 },
        samples_per_round: if quick { 5 } else { 6 },
        sample_time: Duration::from_micros(300),
        warmup_iterations: 2,
        max_iterations: 100_000,
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = Config::default;
    let path = match &keep {
        Some(keep) => {
            std::fs::create_dir_all(keep).map_err(|e| format!("--keep {keep}: {e}"))?;
            let path = Path::new(keep).join("search.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            path
        }
        None => dir.path().join("search.db"),
    };
    let store = Store::open_with(&path, config()).map_err(err)?;
    let hash = store.hash_password_for_import(PASSWORD).map_err(err)?;
    eprintln!("search: loading {messages} messages (with the index)");
    let (me, thread, common, rate) = load(&store, messages, &hash)?;
    eprintln!("  bulk load with indexing: {rate:.0} msgs/s");
    let rebuild = Instant::now();
    let indexed = store.rebuild_search_index().map_err(err)?;
    let rebuild_rate = indexed as f64 / rebuild.elapsed().as_secs_f64();
    eprintln!("  rebuild_search_index: {rebuild_rate:.0} msgs/s");

    let session = store.login("s0@example.com", PASSWORD).map_err(err)?;
    let conn = Connection::open(&path).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let search = |session: &Session, text: &str, order: SearchOrder| -> R<usize> {
        let page = session
            .search(&SearchQuery {
                text,
                limit: Some(20),
                order,
                ..Default::default()
            })
            .map_err(err)?;
        Ok(page.items.len())
    };
    for (name, text, order) in [
        (
            "rare word, top 20 by relevance",
            RARE,
            SearchOrder::Relevance,
        ),
        (
            "common word, top 20 by relevance",
            common.as_str(),
            SearchOrder::Relevance,
        ),
        (
            "common word, top 20 --recent",
            common.as_str(),
            SearchOrder::Recent,
        ),
    ] {
        let expr = format!("(\"{text}\"*)");
        let recent = order == SearchOrder::Recent;
        let found = search(&session, text, order)?;
        let floor_found = floor_search(&conn, me.0, &expr, recent)?;
        check(found > 0 && floor_found >= found, || {
            format!("{name}: {found} hits, floor {floor_found}")
        })?;
        rows.push(measure(
            name,
            "Session::search | bare FTS5 query, same join, bm25 and snippet",
            plan,
            &mut || search(&session, text, order).map(|_| ()),
            Some(&mut || floor_search(&conn, me.0, &expr, recent).map(|_| ())),
            "floor",
        )?);
    }
    let slow = Plan {
        rounds: 2,
        samples_per_round: 2,
        ..plan
    };
    rows.push(measure(
        "rare word: LIKE '%word%' scan against search",
        "reference, not a floor: LIKE (first column) | Session::search",
        slow,
        &mut || like_scan(&conn, me.0, RARE).map(|_| ()),
        Some(&mut || search(&session, RARE, SearchOrder::Relevance).map(|_| ())),
        "search",
    )?);

    let copy = dir.path().join("copy.db");
    let sending = crate::search_send::Sending {
        store: &store,
        session: &session,
        thread,
        copy: &copy,
        config: config(),
        quick,
    };
    rows.extend(sending.rows(plan)?);

    let text_bytes: i64 = conn
        .query_row(
            "SELECT sum(length(CAST(text AS BLOB))) FROM messages",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let words = size_of(&conn, "messages\\_fts%")?;
    let words = if words == 0 {
        size_of(&conn, "messages_fts%")?
    } else {
        words
    };
    let trigrams = size_of(&conn, "messages_trigram%")?;
    let verify = Instant::now();
    check(store.verify_search_index().map_err(err)?.is_none(), || {
        "the index disagrees with the messages".into()
    })?;
    let verify = verify.elapsed();

    println!("## Search ({messages} messages)\n");
    println!("| row | chatcore | against | ratio |");
    println!("|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {} |",
            row.name,
            human(row.core.median()),
            row.floor.as_ref().map_or("—".into(), |f| human(f.median())),
            row.ratio().map_or("—".into(), |r| format!("{r:.2}")),
        );
    }
    println!("| bulk load with indexing | {rate:.0} msgs/s | — | — |");
    println!("| rebuild_search_index (the index part alone) | {rebuild_rate:.0} msgs/s | — | — |");
    println!(
        "\nIndex size: words {:.1} MiB ({:.2}× the {:.1} MiB of text), substrings (no-space scripts only) {:.1} MiB ({:.2}×); verify_search_index {:.1} s",
        words as f64 / 1048576.0,
        words as f64 / text_bytes as f64,
        text_bytes as f64 / 1048576.0,
        trigrams as f64 / 1048576.0,
        trigrams as f64 / text_bytes as f64,
        verify.as_secs_f64(),
    );
    Ok(())
}
