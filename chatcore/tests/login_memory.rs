//! Issue 12 item 15: resident memory stays bounded across logins. Each
//! argon2id check at the OWASP cost works in 19 MiB; with a fresh buffer
//! per check the allocator kept several (RSS 23 → 101 MiB over five
//! logins). One buffer per store keeps RSS after 20 logins ≤ 48 MiB.
//!
//! The only test in this file, so that its process measures nothing else
//! (`chatbench` prints the same figure).

#![cfg(target_os = "linux")]

use chatcore::{Config, NewUser, Store};

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap()
}

#[test]
fn rss_after_20_logins_at_the_owasp_cost_stays_within_48_mib() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path().join("chat.db"), Config::default()).unwrap();
    let password = "correct horse battery";
    store
        .register(&NewUser {
            email: "ann@example.com",
            username: "ann",
            password,
            ..Default::default()
        })
        .unwrap();
    let before = vm_rss_kib();
    for n in 0..20 {
        store.login("ann@example.com", password).unwrap();
        if n % 4 == 0 {
            assert!(store.login("ann@example.com", "a wrong password").is_err());
            assert!(store.login("nobody@example.com", password).is_err());
        }
    }
    let after = vm_rss_kib();
    println!("RSS after register: {before} KiB; after 20 logins (and 10 refused): {after} KiB");
    assert!(after <= 48 * 1024, "RSS {after} KiB after 20 logins");
}
