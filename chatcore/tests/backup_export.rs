//! Backups and the NDJSON export: a backup taken while others send is a
//! consistent store, and an export holds only the caller's own threads.

mod common;

use chatcore::{Error, Store};
use common::*;

#[test]
fn a_backup_taken_during_concurrent_sends_is_consistent() {
    let (dir, _path, store) = file_store();
    let (ann, a) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (thread, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let writer = {
        let a = a.clone();
        std::thread::spawn(move || {
            for i in 0..300 {
                a.send(thread.id, &format!("message {i}")).unwrap();
            }
        })
    };
    let backups: Vec<_> = (0..3)
        .map(|i| {
            let target = dir.path().join(format!("backup-{i}.db"));
            store.backup(&target).unwrap();
            target
        })
        .collect();
    writer.join().unwrap();
    for target in backups {
        let check: String = raw(&target)
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let copy = Store::open_with(&target, chatcore::Config::insecure_fast_for_tests()).unwrap();
        assert!(copy.verify_unread().unwrap().mismatches.is_empty());
        copy.login("ann@example.com", PASSWORD).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    // Never over an existing file.
    let existing = dir.path().join("backup-0.db");
    assert!(matches!(
        store.backup(&existing),
        Err(Error::InvalidArgument(_))
    ));
}

fn ndjson_export_holds_only_my_threads_and_their_messages(b: &TestBackend) {
    let store = b.store();
    let (ann, a) = user(&store, "ann");
    let (bob, b) = user(&store, "bob");
    let (cy, c) = user(&store, "cy");
    let (with_bob, _) = a.create_thread(&[ann.id, bob.id]).unwrap();
    let (bob_cy, _) = b.create_thread(&[bob.id, cy.id]).unwrap();
    a.send(with_bob.id, "one").unwrap();
    b.send(with_bob.id, "two\nlines").unwrap();
    c.send(bob_cy.id, "not ann's business").unwrap();
    let mut out = Vec::new();
    a.export_ndjson(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["type"], "thread");
    assert_eq!(lines[0]["id"], with_bob.id.0);
    assert_eq!(lines[0]["other"]["username"], "bob");
    assert_eq!(lines[1]["type"], "message");
    assert_eq!(lines[1]["text"], "one");
    assert_eq!(lines[2]["text"], "two\nlines");
    assert!(!text.contains("not ann's business"));
    a.logout().unwrap();
    assert!(matches!(
        a.export_ndjson(Vec::new()),
        Err(Error::SessionInvalid)
    ));
}
both!(ndjson_export_holds_only_my_threads_and_their_messages);
