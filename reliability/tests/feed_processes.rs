//! The change feed under several processes (issue 15): exact (every
//! committed change once, in commit order, for each affected user; nothing
//! from a refused operation) while 4 writer processes send and the reader
//! pages its feed and marks threads read; and a wait in this process wakes
//! when another process sends.
//!
//! `RELIABILITY_FEED_SENDS` sets the sends per writer (default 150).

use chatcore::{Change, ChangeCursor, ChangeKind, MessageId, Session, Store, ThreadId};
use chatcore_reliability::{config, raw, size, user};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const WRITERS: usize = 4;

fn worker() -> Command {
    Command::new(env!("CARGO_BIN_EXE_feed-worker"))
}

/// Writers w0..w3 and the reader r, a thread between each writer and r.
fn world(path: &Path) -> (Store, Session, Vec<(String, ThreadId)>) {
    let store = Store::open_with(path, config()).unwrap();
    let (reader, r) = user(&store, "r");
    let writers = (0..WRITERS)
        .map(|i| {
            let name = format!("w{i}");
            let (me, session) = user(&store, &name);
            let (thread, _) = session.create_thread(&[me.id, reader.id]).unwrap();
            (name, thread.id)
        })
        .collect();
    (store, r, writers)
}

fn all(session: &Session, after: Option<ChangeCursor>) -> Vec<Change> {
    session
        .changes_iter(after, Some(500))
        .collect::<chatcore::Result<_>>()
        .unwrap()
}

#[test]
fn four_writer_processes_every_committed_change_appears_once_in_commit_order() {
    let sends = size("RELIABILITY_FEED_SENDS", 150);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.db");
    let (_store, r, writers) = world(&path);
    let start = r.change_cursor().unwrap();
    let children: Vec<_> = writers
        .iter()
        .map(|(name, thread)| {
            worker()
                .args(["write", path.to_str().unwrap(), name])
                .arg(thread.0.to_string())
                .arg(sends.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();

    // Page the feed while they write, marking a thread read now and then.
    let mut seen: Vec<Change> = Vec::new();
    let mut cursor = start;
    let mut marks: HashMap<ThreadId, u64> = HashMap::new();
    let mut round = 0usize;
    let expected_sent = sends as usize * WRITERS;
    let sent_seen = |seen: &[Change]| {
        seen.iter()
            .filter(|c| c.kind == ChangeKind::MessageSent)
            .count()
    };
    while sent_seen(&seen) < expected_sent {
        let page = r.changes(Some(cursor), Some(37)).unwrap();
        cursor = page.next_cursor;
        seen.extend(page.items);
        round += 1;
        if round.is_multiple_of(3) {
            let (_, thread) = &writers[round % WRITERS];
            if r.mark_thread_read(*thread, None).unwrap() > 0 {
                *marks.entry(*thread).or_default() += 1;
            }
        }
        if !page.has_more && sent_seen(&seen) < expected_sent {
            r.wait_for_changes(Some(cursor), Duration::from_secs(30))
                .unwrap();
        }
    }
    let mut refused = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        refused += text.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
    }
    assert!(refused > 0, "the writers' refused operations ran");
    seen.extend(all(&r, Some(cursor)));

    // What was paged during the writes is exactly the feed read afterwards
    // (the messages joined then may have been read since).
    let after = all(&r, Some(start));
    let key = |c: &Change| {
        (
            c.cursor,
            c.kind,
            c.thread_id,
            c.message_id,
            c.actor_id,
            c.at,
        )
    };
    let seen_keys: Vec<_> = seen.iter().map(key).collect();
    let after_keys: Vec<_> = after.iter().map(key).collect();
    assert!(
        seen_keys == after_keys,
        "paging under writers gave gaps or duplicates"
    );
    assert!(after.windows(2).all(|w| w[0].cursor < w[1].cursor));

    // r: every message once, in commit (= message id) order, each writer's
    // in its own order, and its own ThreadRead entries.
    let conn = raw(&path);
    let stored: Vec<i64> = conn
        .prepare("SELECT id FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let sent: Vec<&Change> = after
        .iter()
        .filter(|c| c.kind == ChangeKind::MessageSent)
        .collect();
    let ids: Vec<i64> = sent.iter().map(|c| c.message_id.unwrap().0).collect();
    assert_eq!(ids, stored, "every committed message once, in commit order");
    for (name, thread) in &writers {
        let texts: Vec<String> = sent
            .iter()
            .filter(|c| c.thread_id == Some(*thread))
            .map(|c| c.message.as_ref().unwrap().text.clone())
            .collect();
        let expected: Vec<String> = (0..sends).map(|i| format!("{name} #{i}")).collect();
        assert_eq!(texts, expected, "{name}'s messages in r's feed");
    }
    let reads = after
        .iter()
        .filter(|c| c.kind == ChangeKind::ThreadRead)
        .count() as u64;
    assert_eq!(reads, marks.values().sum::<u64>());
    assert_eq!(after.len(), expected_sent + reads as usize);

    // Each writer: its own sends (its other sessions) and r's reads of its
    // thread, nothing else (no entry of a refused operation).
    let store = Store::open_with(&path, config()).unwrap();
    for (name, thread) in &writers {
        let me = chatcore_reliability::login(&store, name).unwrap();
        let items = all(&me, None);
        let own: Vec<MessageId> = items
            .iter()
            .filter(|c| c.kind == ChangeKind::MessageSent)
            .map(|c| c.message_id.unwrap())
            .collect();
        let theirs: Vec<MessageId> = sent
            .iter()
            .filter(|c| c.thread_id == Some(*thread))
            .map(|c| c.message_id.unwrap())
            .collect();
        assert_eq!(own, theirs, "{name}'s own sends");
        let read_marks = items
            .iter()
            .filter(|c| c.kind == ChangeKind::ThreadRead)
            .count() as u64;
        assert_eq!(
            read_marks,
            marks.get(thread).copied().unwrap_or(0),
            "{name}'s receipts"
        );
        // ThreadCreated, then sends and receipts only.
        assert_eq!(items[0].kind, ChangeKind::ThreadCreated);
        assert_eq!(items.len() as u64, 1 + sends + read_marks);
    }
}

#[test]
fn a_wait_wakes_when_another_process_sends_and_the_items_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wake.db");
    let (_store, _r, writers) = world(&path);
    drop(_store);
    // Only the watcher of other processes can wake this store in time.
    let config = config().wait_recheck(Duration::from_secs(3600));
    let store = Store::open_with(&path, config).unwrap();
    let r = chatcore_reliability::login(&store, "r").unwrap();
    let (name, thread) = &writers[0];
    let mut child = worker()
        .args(["send-lines", path.to_str().unwrap(), name])
        .arg(thread.0.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_child = child.stdin.take().unwrap();
    let mut from_child = BufReader::new(child.stdout.take().unwrap());
    for round in 0..5 {
        let cursor = r.change_cursor().unwrap();
        let text = format!("wake {round}");
        let waiter = {
            let r = r.clone();
            std::thread::spawn(move || r.wait_for_changes(Some(cursor), Duration::from_secs(60)))
        };
        std::thread::sleep(Duration::from_millis(50));
        writeln!(to_child, "{text}").unwrap();
        let mut line = String::new();
        from_child.read_line(&mut line).unwrap();
        let id: i64 = line.trim().strip_prefix("sent ").unwrap().parse().unwrap();
        assert!(
            waiter.join().unwrap().unwrap(),
            "round {round}: the wait timed out"
        );
        let items = r.changes(Some(cursor), None).unwrap().items;
        assert_eq!(items.len(), 1);
        let message = items[0].message.as_ref().unwrap();
        assert_eq!((message.id.0, message.text.as_str()), (id, text.as_str()));
    }
    drop(to_child);
    assert!(child.wait().unwrap().success());
}
