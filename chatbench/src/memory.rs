//! Resident memory across logins (issue 12 item 15): each argon2id check at
//! the OWASP cost works in 19 MiB; a store must not keep one such block per
//! login. Measured in a child process (`chatbench login-rss DIR`) so that
//! the figure is the store's alone, not the benchmark's million messages.

use super::{R, check, err, mib};
use chatcore::{Config, NewUser, Store};
use std::path::Path;

/// Logins measured, each at the default (OWASP) cost.
const LOGINS: usize = 20;
/// The most a store may hold resident after them (issue 12 item 15).
const TARGET_KIB: u64 = 48 * 1024;

/// The current resident set size of this process, in KiB.
fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: a fresh store in a new directory under `argv[0]`, one user,
/// and [`LOGINS`] logins; prints the RSS before the first hash and after
/// the last login.
pub fn child(argv: &[String]) -> R<()> {
    let [dir] = argv else {
        return Err("usage: chatbench login-rss DIR".into());
    };
    let temp = tempfile::tempdir_in(dir).map_err(|e| format!("temporary directory: {e}"))?;
    let store = Store::open_with(temp.path().join("rss.db"), Config::default()).map_err(err)?;
    let before_kib = vm_rss_kib();
    let password = "correct horse battery";
    store
        .register(&NewUser {
            email: "rss@bench.example",
            username: "rss",
            password,
            ..Default::default()
        })
        .map_err(err)?;
    for _ in 0..LOGINS {
        store.login("rss@bench.example", password).map_err(err)?;
    }
    println!("before_kib={before_kib} after_kib={}", vm_rss_kib());
    Ok(())
}

/// Runs the child and returns the table's line for it.
pub fn login_rss_row(dir: &Path) -> R<String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let output = std::process::Command::new(exe)
        .arg("login-rss")
        .arg(dir)
        .output()
        .map_err(|e| format!("login-rss child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check(output.status.success(), || {
        format!(
            "login-rss child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let field = |name: &str| -> R<u64> {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .ok_or_else(|| format!("login-rss child printed no {name}: {stdout}"))
    };
    let (before, after) = (field("before_kib")?, field("after_kib")?);
    let met = if after <= TARGET_KIB {
        "met"
    } else {
        "**missed**"
    };
    // A paragraph of its own after the targets table.
    let line = format!(
        "\nRSS after {LOGINS} logins at the OWASP cost (fresh process): **{}** \
         (target ≤ {}: {met}; {} before the first hash)\n",
        mib(after),
        mib(TARGET_KIB),
        mib(before),
    );
    eprintln!("  {}", line.trim());
    Ok(line)
}

/// Peak resident set size of this process so far, in KiB.
pub fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
