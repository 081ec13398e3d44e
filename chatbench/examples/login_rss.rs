//! Prints the resident set size after each of 12 logins, to tell a leak from
//! allocator retention (a diagnostic, not part of the benchmark).
use chatcore::{NewUser, Store};
fn rss(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or("")
        .to_string()
}
fn main() -> Result<(), chatcore::Error> {
    let store = Store::open_in_memory()?;
    store.register(&NewUser {
        email: "a@example.com",
        username: "a",
        password: "password1",
        ..Default::default()
    })?;
    for i in 0..12 {
        let session = store.login("a@example.com", "password1")?;
        drop(session);
        println!("login {i}: {} {}", rss("VmRSS:"), rss("VmHWM:"));
    }
    Ok(())
}
