//! The main run's markdown output: its tables and the targets.

use crate::bench::{Bench, Row};
use crate::data::{Size, World};
use crate::paging::Paging;
use crate::stats::{Summary, human};
use crate::{keyed, life};
use std::fmt::Write as _;

pub(crate) struct Rates {
    pub(crate) fresh: f64,
    pub(crate) bulk_floors: Vec<(&'static str, f64)>,
    pub(crate) heavy: f64,
    pub(crate) overall: f64,
    pub(crate) verify_seconds: f64,
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// One markdown table of rows, each subject's median with its p10–p90.
pub(crate) fn table(out: &mut String, header: &str, rows: &[Row]) {
    let _ = writeln!(out, "{header}\n|---|---|---|---|---|---|");
    let spread = |s: &Summary| {
        let (low, high) = s.spread();
        format!("{} ({}–{})", human(s.median()), human(low), human(high))
    };
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            spread(&row.core),
            row.floor.as_ref().map_or("—".into(), spread),
            row.ratio().map_or("—".into(), |r| format!("**{r:.2}**")),
            row.floor.as_ref().map_or("—".into(), |f| format!(
                "{:.2}",
                row.core.spread().0 / f.spread().0
            )),
            row.note
        );
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn render(
    bench: &Bench,
    world: &World,
    size: Size,
    rates: Rates,
    paging: &Paging,
    run_hwm: u64,
    seconds: f64,
    quick: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chatbench ({}) — {} messages ({} in the heavy thread), {} users, {} threads; \
         {} samples per row; run took {seconds:.0} s\n",
        if quick { "--quick" } else { "full size" },
        world.messages,
        size.heavy_messages,
        world.users,
        world.threads,
        bench.plan.samples(),
    );
    table(
        &mut out,
        "| operation | chatcore median (p10–p90) | floor median (p10–p90) | chatcore / floor | p10 / p10 | note |",
        &bench.rows,
    );
    if !bench.ffi.is_empty() {
        out.push('\n');
        table(
            &mut out,
            "| through the C ABI | C ABI median (p10–p90) | Rust API median (p10–p90) | C ABI / Rust | p10 / p10 | note |",
            &bench.ffi,
        );
    }
    let mut floors = String::new();
    for (name, rate) in &rates.bulk_floors {
        let _ = writeln!(
            floors,
            "| bulk floor, bare SQL ({name}) | {rate:.0} msgs/s (bulk_load / this: {:.2}) |",
            rates.fresh / rate
        );
    }
    let _ = writeln!(
        out,
        "\n| bulk load and memory | value |\n|---|---|\n\
         | bulk_load, heavy thread of the benchmark data (100,000-message transactions, generator included) | {:.0} msgs/s |\n\
         | bulk_load, the heavy thread's {} messages into a fresh file (as the floors below) | {:.0} msgs/s |\n{floors}\
         | bulk load, everything (users, threads, all messages) | {:.0} msgs/s ({} messages in {:.1} s) |\n\
         | verify_unread over the loaded store | {:.1} s |\n\
         | paging the whole heavy thread, 50 a page | {} pages in {:.2} s; peak RSS {} (after opening: {}) |\n\
         | peak RSS of the whole run | {} |",
        rates.heavy,
        size.heavy_messages,
        rates.fresh,
        rates.overall,
        world.messages,
        world.seconds,
        rates.verify_seconds,
        paging.pages,
        paging.seconds,
        mib(paging.peak_kib),
        mib(paging.base_kib),
        mib(run_hwm),
    );

    // Targets (judged at full size; printed, never enforced).
    let ratio = |name: &str| bench.find(name).and_then(Row::ratio).unwrap_or(f64::NAN);
    let ffi_ratio = |name: &str| {
        bench
            .ffi
            .iter()
            .find(|row| row.name == name)
            .and_then(Row::ratio)
            .unwrap_or(f64::NAN)
    };
    let median = |name: &str| bench.find(name).map_or(f64::NAN, |r| r.core.median());
    let depth = size.heavy_messages * 9 / 10;
    let k = size.heavy_messages;
    let top = format!("history page of 50, top ({k} msgs)");
    let deep = format!("history page of 50, depth {depth}");
    let b = size.backlogs;
    let unread = |i: usize| median(&format!("unread count, backlog {}", b[i]));
    let targets: Vec<(String, f64, f64, String)> = vec![
        (
            "send ≤ 1.3× floor".into(),
            ratio("send"),
            1.3,
            String::new(),
        ),
        (
            "send with a key ≤ 1.15× send (same rounds)".into(),
            ratio(keyed::ROW),
            1.15,
            String::new(),
        ),
        (
            "edit ≤ 1.5× floor".into(),
            ratio(life::EDIT_ROW),
            1.5,
            String::new(),
        ),
        (
            "delete for everyone ≤ 1.5× floor".into(),
            ratio(life::DELETE_ROW),
            1.5,
            String::new(),
        ),
        (
            "history page ≤ 1.5× floor (top)".into(),
            ratio(&top),
            1.5,
            String::new(),
        ),
        (
            "history page ≤ 1.5× floor (deep)".into(),
            ratio(&deep),
            1.5,
            String::new(),
        ),
        (
            "deep / top page ≤ 1.2 (same rounds)".into(),
            ratio(&format!("{deep} against top")),
            1.2,
            String::new(),
        ),
        (
            "inbox page ≤ 2× floor".into(),
            ratio(&format!("inbox page of 50 ({} threads)", size.hub_threads)),
            2.0,
            String::new(),
        ),
        (
            format!(
                "unread backlog {} / backlog {} ≤ 1.5 (same rounds)",
                b[2], b[0]
            ),
            ratio(&format!(
                "unread count, backlog {} against backlog {}",
                b[2], b[0]
            )),
            1.5,
            String::new(),
        ),
        (
            "unread count ≤ 5 µs median (worst backlog)".into(),
            unread(0).max(unread(1)).max(unread(2)) / 1000.0,
            5.0,
            " µs".into(),
        ),
        (
            "bulk ≥ 300,000 msgs/s (heavy thread)".into(),
            -rates.heavy,
            -300_000.0,
            String::new(),
        ),
        (
            "FFI / Rust ≤ 1.1 (send)".into(),
            ffi_ratio("send"),
            1.1,
            String::new(),
        ),
        (
            "FFI / Rust ≤ 1.3 (page of 50, top)".into(),
            ffi_ratio(&top),
            1.3,
            String::new(),
        ),
        (
            "FFI / Rust ≤ 1.3 (page of 50, deep)".into(),
            ffi_ratio(&deep),
            1.3,
            String::new(),
        ),
        (
            "peak RSS ≤ 64 MiB paging the heavy thread".into(),
            paging.peak_kib as f64 / 1024.0,
            64.0,
            " MiB".into(),
        ),
    ];
    let _ = writeln!(out, "\n| target | measured | met? |\n|---|---|---|");
    for (name, value, limit, unit) in targets {
        let met = value <= limit;
        let shown = if value < 0.0 {
            format!("{:.0}", -value)
        } else {
            format!("{value:.2}{unit}")
        };
        let _ = writeln!(
            out,
            "| {name} | {shown} | {} |",
            if met { "met" } else { "**missed**" }
        );
    }
    out
}
