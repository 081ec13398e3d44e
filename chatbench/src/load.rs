//! The main run's data: generating the store, the bulk path against its
//! floors, and the counters checked after the load.

use crate::data::{self, Size, World};
use crate::report::Rates;
use crate::{R, check, err, floor};
use chatcore::Store;
use std::path::Path;
use std::time::Instant;

/// Generates the benchmark data into `store` (at `path`, in `dir`), times
/// the bulk path into fresh files against its floors, and checks the unread
/// counters after the load.
pub(crate) fn generate(
    store: &Store,
    size: Size,
    dir: &Path,
    path: &Path,
    quick: bool,
) -> R<(World, Rates)> {
    eprintln!(
        "generating ({}) into {}",
        if quick { "quick" } else { "full" },
        path.display()
    );
    let world = data::generate(store, size, &mut |line| eprintln!("{line}"))?;
    let heavy_rate = size.heavy_messages as f64 / world.heavy_seconds;
    let overall_rate = world.messages as f64 / world.seconds;
    eprintln!(
        "  {} messages in {:.1} s: {:.0} msgs/s overall, {:.0} msgs/s for the heavy thread",
        world.messages, world.seconds, overall_rate, heavy_rate
    );
    // The bulk path and its floors, each into a fresh file of the same
    // schema, under the same conditions.
    let texts: Vec<&str> = {
        let mut rng = data::Rng::new(42);
        (0..256).map(|_| data::text(&mut rng)).collect()
    };
    let fresh_rate = floor::bulk_chatcore(dir, size.heavy_messages, 100_000, &texts)?;
    eprintln!("  bulk_load into a fresh file: {fresh_rate:.0} msgs/s");
    let mut bulk_floors = Vec::new();
    for variant in [
        floor::BulkVariant {
            name: "as bulk_load: FKs on, cache raised per transaction",
            foreign_keys: true,
            restore_cache: true,
        },
        floor::BulkVariant {
            name: "FKs on, cache kept raised",
            foreign_keys: true,
            restore_cache: false,
        },
        floor::BulkVariant {
            name: "FKs off, cache kept raised",
            foreign_keys: false,
            restore_cache: false,
        },
    ] {
        let rate = floor::bulk(dir, variant, size.heavy_messages, 100_000, &texts)?;
        eprintln!("  bulk floor ({}): {rate:.0} msgs/s", variant.name);
        bulk_floors.push((variant.name, rate));
    }
    let verify_started = Instant::now();
    let report = store.verify_unread().map_err(err)?;
    let verify_seconds = verify_started.elapsed().as_secs_f64();
    check(report.mismatches.is_empty(), || {
        format!(
            "verify_unread after the bulk load: {:?}",
            &report.mismatches[..report.mismatches.len().min(5)]
        )
    })?;
    eprintln!(
        "  verify_unread: {} member and {} user counters agree ({verify_seconds:.1} s)",
        report.threads_checked, report.users_checked
    );
    let rates = Rates {
        heavy: heavy_rate,
        overall: overall_rate,
        verify_seconds,
        bulk_floors,
        fresh: fresh_rate,
    };
    Ok((world, rates))
}
