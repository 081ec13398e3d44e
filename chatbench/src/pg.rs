//! `chatbench --postgres URL`: the benchmark's rows on PostgreSQL, each
//! against the bare-SQL floor of `pg_floor` on the same server, with the
//! round trips of each operation (counted by the relay of `pg_proxy`) and
//! sends/s with 1, 2, 4 and 8 client threads.
//!
//! The data is generated once into a temporary SQLite store, then copied
//! into chatcore's store on the server with `Store::copy_to` (schema
//! `chatbench_core`) and loaded into the floor's tables with `COPY`
//! (schema `chatbench_floor`): both sides hold the same rows and ids. Both
//! schemas are dropped and made again at each run. Both sides connect
//! without TLS (`without_tls`): the floor's driver has none.
//!
//! If chatcore's store cannot be opened at the URL (a build without the
//! PostgreSQL backend), the floor's rows are still measured and printed,
//! and the run then fails with the error of the open.

use crate::data::{self, PASSWORD, Size};
use crate::pg_floor::{self, Floor};
use crate::pg_proxy::{self, Proxy};
use crate::stats::{Plan, Summary, human};
use crate::{R, check, err, now_ms};

mod report;
mod rows;
use chatcore::{Config, Session, Store};
use report::{render, scaling};
use rows::measure_rows;
use std::time::{Duration, Instant};

/// The PostgreSQL size: a tenth of the SQLite run's heavy thread (the
/// floor's `COPY` and chatcore's copy of it both fit in a minute).
const SIZE: Size = Size {
    heavy_messages: 100_000,
    hub_threads: 2_000,
    backlogs: [0, 100, 10_000],
    mark_read_supply: 20_000,
    mark_thread_supply: 300,
};

/// The CI smoke size.
const QUICK: Size = Size {
    heavy_messages: 10_000,
    hub_threads: 200,
    backlogs: [0, 100, 1_000],
    mark_read_supply: 3_000,
    mark_thread_supply: 100,
};

/// The pairs the concurrent senders use: `fresh[FIRST_PAIR + 2k]` sends to
/// `fresh[FIRST_PAIR + 2k + 1]`, so no two senders touch the same row.
const FIRST_PAIR: usize = 10;
const CLIENT_THREADS: [usize; 4] = [1, 2, 4, 8];

struct Args {
    url: String,
    quick: bool,
    out: Option<std::path::PathBuf>,
}

fn parse(argv: &[String]) -> R<Args> {
    let mut args = Args {
        url: String::new(),
        quick: false,
        out: None,
    };
    let mut rest = argv.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--postgres" => args.url = rest.next().ok_or("--postgres needs a URL")?.clone(),
            "--quick" => args.quick = true,
            "--out" => args.out = Some(rest.next().ok_or("--out needs a file")?.into()),
            other => return Err(format!("unknown argument {other:?} with --postgres")),
        }
    }
    Ok(args)
}

/// One row: either side may be missing (a chatcore-only row, or chatcore's
/// store not available).
struct Row {
    name: String,
    note: String,
    core: Option<Summary>,
    floor: Option<Summary>,
    round_trips: (Option<f64>, Option<f64>),
}

/// chatcore's sessions on one store (direct, or through the relay).
struct Core {
    store: Store,
    hub: Session,
    alice: Session,
    backlog: [Session; 3],
    s1: Session,
    mr: Session,
    mtr: Session,
    fresh0: Session,
}

impl Core {
    fn login(store: Store) -> R<Core> {
        let login = |name: &str| {
            store
                .login(&format!("{name}@bench.example"), PASSWORD)
                .map_err(err)
        };
        Ok(Core {
            hub: login("hub")?,
            alice: login("alice")?,
            backlog: [login("b0")?, login("b1")?, login("b2")?],
            s1: login("s1")?,
            mr: login("mr_reader")?,
            mtr: login("mtr_reader")?,
            fresh0: login("fresh0")?,
            store,
        })
    }

    /// The same sessions on another handle of the same store.
    fn resumed(&self, store: Store) -> R<Core> {
        let resume = |session: &Session| store.resume(session.token()).map_err(err);
        Ok(Core {
            hub: resume(&self.hub)?,
            alice: resume(&self.alice)?,
            backlog: [
                resume(&self.backlog[0])?,
                resume(&self.backlog[1])?,
                resume(&self.backlog[2])?,
            ],
            s1: resume(&self.s1)?,
            mr: resume(&self.mr)?,
            mtr: resume(&self.mtr)?,
            fresh0: resume(&self.fresh0)?,
            store,
        })
    }
}

type CoreOp<'a> = &'a mut dyn FnMut(&Core) -> R<()>;
type FloorOp<'a> = &'a mut dyn FnMut(&mut Floor) -> R<()>;

/// Round trips per call of `op`: one untimed call, then three counted.
fn count(proxy: &Proxy, op: &mut dyn FnMut() -> R<()>) -> R<f64> {
    op()?;
    let before = proxy.round_trips();
    for _ in 0..3 {
        op()?;
    }
    Ok((proxy.round_trips() - before) as f64 / 3.0)
}

/// Both sides, direct (timed) and through the relay (counted).
struct Sides {
    /// chatcore direct and through the relay; `None` if its store did not open.
    core: Option<(Core, Core)>,
    floor: Floor,
    counted_floor: Option<Floor>,
    proxy: Option<Proxy>,
    plan: Plan,
    rows: Vec<Row>,
}

impl Sides {
    /// A plan that uses at most `supply` items per side.
    fn limited(&self, supply: u64) -> Plan {
        let plan = self.plan;
        let rounds = plan.rounds as u64;
        let spare = supply.saturating_sub(10 + 2 * rounds * plan.warmup_iterations);
        let max = spare / (2 * rounds * plan.samples_per_round as u64 + 8);
        Plan {
            max_iterations: max.max(1),
            ..plan
        }
    }

    /// Counts each side's round trips, then samples them alternately.
    fn row(
        &mut self,
        name: &str,
        note: &str,
        plan: Plan,
        core: Option<CoreOp<'_>>,
        floor: Option<FloorOp<'_>>,
    ) -> R<()> {
        let Sides {
            core: pair,
            floor: timed_floor,
            counted_floor,
            proxy,
            rows,
            ..
        } = self;
        let mut core = core.zip(pair.as_ref());
        let mut floor = floor;
        let mut trips = (None, None);
        if let Some(proxy) = proxy {
            if let Some((op, (_, counted))) = core.as_mut() {
                trips.0 = Some(count(proxy, &mut || op(counted))?);
            }
            if let (Some(op), Some(counted)) = (floor.as_mut(), counted_floor.as_mut()) {
                trips.1 = Some(count(proxy, &mut || op(counted))?);
            }
        }
        let (core_summary, floor_summary) = match (core, floor) {
            (Some((op, (direct, _))), floor) => {
                let mut a = || op(direct);
                match floor {
                    Some(f) => {
                        let mut b = || f(timed_floor);
                        let (x, y) = crate::stats::compare(plan, &mut a, Some(&mut b))?;
                        (Some(x), y)
                    }
                    None => (Some(crate::stats::compare(plan, &mut a, None)?.0), None),
                }
            }
            (None, Some(f)) => {
                let mut b = || f(timed_floor);
                (None, Some(crate::stats::compare(plan, &mut b, None)?.0))
            }
            (None, None) => return Ok(()),
        };
        let row = Row {
            name: name.to_string(),
            note: note.to_string(),
            core: core_summary,
            floor: floor_summary,
            round_trips: trips,
        };
        eprintln!(
            "  {:<44} {:>10}  floor {:>10}  ratio {}  round trips {} | {}",
            row.name,
            row.core.as_ref().map_or("—".into(), |s| human(s.median())),
            row.floor.as_ref().map_or("—".into(), |s| human(s.median())),
            ratio(&row).map_or("—".into(), |r| format!("{r:.2}")),
            trips_text(row.round_trips.0),
            trips_text(row.round_trips.1),
        );
        rows.push(row);
        Ok(())
    }

    /// Two chatcore operations against each other (not a floor).
    fn pair_row(&mut self, name: &str, note: &str, a: CoreOp<'_>, b: CoreOp<'_>) -> R<()> {
        let Some((direct, counted)) = self.core.as_ref() else {
            return Ok(());
        };
        let trips = match &self.proxy {
            Some(proxy) => (
                Some(count(proxy, &mut || a(counted))?),
                Some(count(proxy, &mut || b(counted))?),
            ),
            None => (None, None),
        };
        let (x, y) = crate::stats::compare(self.plan, &mut || a(direct), Some(&mut || b(direct)))?;
        let row = Row {
            name: name.to_string(),
            note: note.to_string(),
            core: Some(x),
            floor: y,
            round_trips: trips,
        };
        eprintln!(
            "  {:<44} {:>10}  against {:>10}  ratio {}",
            row.name,
            row.core.as_ref().map_or("—".into(), |s| human(s.median())),
            row.floor.as_ref().map_or("—".into(), |s| human(s.median())),
            ratio(&row).map_or("—".into(), |r| format!("{r:.2}")),
        );
        self.rows.push(row);
        Ok(())
    }
}

fn ratio(row: &Row) -> Option<f64> {
    Some(row.core.as_ref()?.median() / row.floor.as_ref()?.median())
}

fn trips_text(trips: Option<f64>) -> String {
    trips.map_or("—".into(), |n| format!("{n:.1}"))
}

/// `url` for a run whose two sides use the same transport: the floor
/// connects without TLS (`NoTls`), and chatcore's default `sslmode` is
/// `prefer`, which encrypts whenever the server offers TLS (Debian's does),
/// so a URL that names no mode gets `sslmode=disable` for both. A URL that
/// names a mode other than `disable` is refused: the floor cannot match it.
pub fn without_tls(url: &str) -> R<String> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let named = match is_url {
        true => url
            .split_once('?')
            .map(|(_, query)| query.split('&').find_map(|p| p.strip_prefix("sslmode=")))
            .unwrap_or(None),
        false => url
            .split_whitespace()
            .find_map(|p| p.strip_prefix("sslmode=")),
    };
    match named {
        Some("disable") => Ok(url.to_string()),
        Some(mode) => Err(format!(
            "the URL asks for sslmode={mode}, but the floor connects without TLS, so the two \
             sides would not do the same work; run with sslmode=disable or no sslmode"
        )),
        None if is_url => {
            let separator = if url.contains('?') { '&' } else { '?' };
            Ok(format!("{url}{separator}sslmode=disable"))
        }
        None => Ok(format!("{url} sslmode=disable")),
    }
}

/// `chatbench --postgres URL [--quick] [--out FILE]`.
pub fn command(argv: &[String]) -> R<()> {
    let mut args = parse(argv)?;
    if args.url.is_empty() {
        return Err("--postgres needs a URL".into());
    }
    args.url = without_tls(&args.url)?;
    let size = if args.quick { QUICK } else { SIZE };
    let plan = if args.quick {
        Plan {
            rounds: 3,
            samples_per_round: 5,
            sample_time: Duration::from_millis(1),
            warmup_iterations: 2,
            max_iterations: 1_000,
        }
    } else {
        Plan {
            rounds: 12,
            samples_per_round: 5,
            sample_time: Duration::from_millis(3),
            warmup_iterations: 3,
            max_iterations: 100_000,
        }
    };
    let started = Instant::now();
    let temp = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let sqlite = temp.path().join("bench.db");
    let source = Store::open_with(&sqlite, Config::default()).map_err(err)?;
    eprintln!(
        "generating ({} PostgreSQL size: {} messages in the heavy thread, {} hub threads)",
        if args.quick { "quick" } else { "full" },
        size.heavy_messages,
        size.hub_threads
    );
    let world = data::generate(&source, size, &mut |line| eprintln!("{line}"))?;
    source.checkpoint().map_err(err)?;

    let load_started = Instant::now();
    pg_floor::fresh_schema(&args.url, "chatbench_floor")?;
    let floor_url = pg_floor::schema_url(&args.url, "chatbench_floor");
    pg_floor::load(&floor_url, &sqlite)?;
    eprintln!(
        "  floor: loaded with COPY in {:.1} s",
        load_started.elapsed().as_secs_f64()
    );
    pg_floor::fresh_schema(&args.url, "chatbench_core")?;
    let core_url = pg_floor::schema_url(&args.url, "chatbench_core");
    let copy_started = Instant::now();
    let opened = source
        .copy_to(&core_url, |_| {})
        .and_then(|report| Ok((report, Store::open_with(&core_url, Config::default())?)));
    let core_error = opened.as_ref().err().map(|e| format!("{e} ({})", e.code()));
    let proxy = match pg_proxy::through(&args.url, 0) {
        Some((_, upstream)) => Some(Proxy::start(upstream)?),
        None => {
            eprintln!("  round trips: not counted (the relay needs a postgres:// URL)");
            None
        }
    };
    let through = |url: &str| {
        proxy
            .as_ref()
            .and_then(|proxy| pg_proxy::through(url, proxy.port))
            .map(|(url, _)| url)
    };
    let core = match opened {
        Ok((report, store)) => {
            eprintln!(
                "  chatcore: Store::copy_to {} messages in {:.1} s",
                report.messages,
                copy_started.elapsed().as_secs_f64()
            );
            let direct = Core::login(store)?;
            let counted = match through(&core_url) {
                Some(url) => {
                    direct.resumed(Store::open_with(&url, Config::default()).map_err(err)?)?
                }
                None => direct.resumed(direct.store.clone())?,
            };
            Some((direct, counted))
        }
        Err(e) => {
            eprintln!(
                "  chatcore: its store at the URL did not open ({}); measuring the floor only",
                err(e)
            );
            None
        }
    };
    let counted_floor = through(&floor_url)
        .map(|url| Floor::connect(&url))
        .transpose()?;
    let mut sides = Sides {
        core,
        floor: Floor::connect(&floor_url)?,
        counted_floor,
        proxy,
        plan,
        rows: Vec::new(),
    };
    eprintln!("measuring ({} samples per row and subject)", plan.samples());
    measure_rows(&mut sides, &world, size)?;
    let scaling = scaling(&sides, &world, &floor_url, args.quick)?;
    let mismatches = sides.floor.mismatches()?;
    check(mismatches == 0, || {
        format!("after the concurrent sends, {mismatches} floor counters disagree")
    })?;
    if let Some((direct, _)) = &sides.core {
        let report = direct.store.verify_unread().map_err(err)?;
        check(report.mismatches.is_empty(), || {
            "verify_unread after the concurrent sends".into()
        })?;
    }
    let table = render(
        &sides,
        &scaling,
        &world,
        size,
        started.elapsed().as_secs_f64(),
        args.quick,
    );
    println!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    match core_error {
        Some(e) => Err(format!(
            "chatcore's rows were not measured: its store at the URL did not open: {e}"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::without_tls;

    #[test]
    fn both_sides_connect_without_tls_or_the_run_is_refused() {
        let base = "postgres://u:p@localhost/db";
        assert_eq!(
            without_tls(base).unwrap(),
            format!("{base}?sslmode=disable")
        );
        let with_options = format!("{base}?options=-csearch_path%3Ds");
        assert_eq!(
            without_tls(&with_options).unwrap(),
            format!("{with_options}&sslmode=disable")
        );
        let disabled = format!("{base}?sslmode=disable");
        assert_eq!(without_tls(&disabled).unwrap(), disabled);
        assert!(without_tls(&format!("{base}?sslmode=require")).is_err());
        assert_eq!(
            without_tls("host=h dbname=d").unwrap(),
            "host=h dbname=d sslmode=disable"
        );
        assert!(without_tls("host=h sslmode=verify-full").is_err());
    }
}
