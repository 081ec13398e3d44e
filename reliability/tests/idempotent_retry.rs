//! Guarantee (issue 17, item 1): a retried send never stores a second
//! message, also when the first sender's process was killed after the
//! commit and the retry comes from another process, or when several
//! processes send under the same key at once.

use chatcore_reliability::{check_file, pair, raw};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The worker's `sent ID CREATED MILLIS` line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    id: i64,
    created: bool,
    millis: i64,
}

fn parse(line: &str) -> Sent {
    match line.split(' ').collect::<Vec<_>>().as_slice() {
        ["sent", id, created, millis] => Sent {
            id: id.parse().unwrap(),
            created: created.parse().unwrap(),
            millis: millis.parse().unwrap(),
        },
        _ => panic!("unexpected worker line: {line:?}"),
    }
}

fn spawn(path: &Path, thread: i64, key: &str, text: &str, wait: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rel-worker"))
        .arg("keyed-send")
        .arg(path)
        .args([&thread.to_string(), key, text, wait])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads the child's first line (written only after the send returned).
fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.is_empty(), "the worker printed nothing");
    line.trim_end().to_string()
}

fn stored_under(path: &Path, key: &str) -> i64 {
    raw(path)
        .query_row(
            "SELECT count(*) FROM messages WHERE client_key = ?1",
            [key],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn a_retry_from_a_new_process_after_the_sender_was_killed_returns_the_first_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retry.db");
    let (store, _, _, thread) = pair(&path);
    drop(store);
    let key = "0b7e5c1e-8f0a-4d5e-9a8c-2f4e6b1d3a57";

    let mut first = spawn(&path, thread.0, key, "pay the rent", "hang");
    let sent = parse(&first_line(&mut first));
    assert!(sent.created);
    // The host dies after the commit, before it could use the answer.
    first.kill().unwrap();
    first.wait().unwrap();

    let retry = spawn(&path, thread.0, key, "pay the rent", "exit")
        .wait_with_output()
        .unwrap();
    assert!(
        retry.status.success(),
        "{}",
        String::from_utf8_lossy(&retry.stderr)
    );
    let again = parse(String::from_utf8(retry.stdout).unwrap().trim_end());
    assert_eq!(
        again,
        Sent {
            created: false,
            ..sent.clone()
        }
    );

    assert_eq!(stored_under(&path, key), 1);
    let check = check_file(&path); // unread counters exact: one unread, not two
    assert_eq!(check.messages, 1);
}

#[test]
fn processes_sending_under_one_key_at_once_store_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let (store, _, _, thread) = pair(&path);
    drop(store);
    let key = "race-1";

    let children: Vec<Child> = (0..6)
        .map(|_| spawn(&path, thread.0, key, "once", "exit"))
        .collect();
    let sent: Vec<Sent> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            parse(String::from_utf8(out.stdout).unwrap().trim_end())
        })
        .collect();
    assert_eq!(sent.iter().filter(|s| s.created).count(), 1, "{sent:?}");
    assert!(
        sent.iter()
            .all(|s| s.id == sent[0].id && s.millis == sent[0].millis),
        "{sent:?}"
    );
    assert_eq!(stored_under(&path, key), 1);
    assert_eq!(check_file(&path).messages, 1);
}
