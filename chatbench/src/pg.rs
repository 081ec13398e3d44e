//! `chatbench --postgres URL`: the benchmark's rows on PostgreSQL, each
//! against the bare-SQL floor of `pg_floor` on the same server, with the
//! round trips of each operation (counted by the relay of `pg_proxy`) and
//! sends/s with 1, 2, 4 and 8 client threads.
//!
//! The data is generated once into a temporary SQLite store, then copied
//! into chatcore's store on the server with `Store::copy_to` (schema
//! `chatbench_core`) and loaded into the floor's tables with `COPY`
//! (schema `chatbench_floor`): both sides hold the same rows and ids. Both
//! schemas are dropped and made again at each run.
//!
//! If chatcore's store cannot be opened at the URL (a build without the
//! PostgreSQL backend), the floor's rows are still measured and printed,
//! and the run then fails with the error of the open.

use crate::data::{self, PASSWORD, Size, World};
use crate::pg_floor::{self, Floor};
use crate::pg_proxy::{self, Proxy};
use crate::stats::{Plan, Summary, human};
use crate::{R, check, err, now_ms};
use chatcore::{Config, MessageId, MessageQuery, Session, Store, ThreadId, ThreadQuery};
use std::fmt::Write as _;
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

/// `chatbench --postgres URL [--quick] [--out FILE]`.
pub fn command(argv: &[String]) -> R<()> {
    let args = parse(argv)?;
    if args.url.is_empty() {
        return Err("--postgres needs a URL".into());
    }
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

/// The rows of the SQLite run, in its order.
fn measure_rows(sides: &mut Sides, world: &World, size: Size) -> R<()> {
    let mut rng = data::Rng::new(7);
    let texts: Vec<&str> = (0..64).map(|_| data::text(&mut rng)).collect();
    let token = |sides: &mut Sides, user: chatcore::UserId| sides.floor.token(user.0);
    let (send_thread, s1_id) = (world.send_thread, world.send_pair.0);
    let s1_token = token(sides, s1_id)?;
    let (mut n, mut m) = (0usize, 0usize);
    let plan = sides.plan;
    sides.row(
        "send",
        "one statement: session, participant, insert, thread, members, recipient total",
        plan,
        Some(&mut |core| {
            n += 1;
            core.s1
                .send(send_thread, texts[n % 64])
                .map(|_| ())
                .map_err(err)
        }),
        Some(&mut |floor| {
            m += 1;
            floor
                .send(&s1_token, send_thread.0, texts[m % 64], now_ms())
                .map(drop)
        }),
    )?;
    let (mut n, mut m) = (0usize, 0usize);
    sides.pair_row(
        crate::keyed::ROW,
        "both columns chatcore, alternating: new key each time | no key (not a floor)",
        &mut |core| {
            n += 1;
            let key = format!("pg-bench-key-{n}-{}", now_ms());
            let (_, created) = core
                .s1
                .send_with_key(send_thread, texts[n % 64], &key)
                .map_err(err)?;
            check(created, || format!("key {key} was not new"))
        },
        &mut |core| {
            m += 1;
            core.s1
                .send(send_thread, texts[m % 64])
                .map(drop)
                .map_err(err)
        },
    )?;

    let (hub_id, p5) = (world.hub, world.partners[5]);
    let hub_token = token(sides, hub_id)?;
    sides.row(
        "create-or-get, existing pair",
        "one statement: the pair's row, or an insert of it and both members",
        plan,
        Some(&mut |core| {
            let (_, created) = core.hub.create_thread(&[hub_id, p5]).map_err(err)?;
            check(!created, || "an existing pair was created".into())
        }),
        Some(&mut |floor| {
            let (_, created) = floor.create_or_get(&hub_token, hub_id.0, p5.0, now_ms())?;
            check(!created, || "floor: an existing pair was created".into())
        }),
    )?;
    let partners = world.partners.clone();
    let fresh0 = world.fresh[0];
    let fresh1 = world.fresh[1];
    let fresh1_token = token(sides, fresh1)?;
    let (mut i, mut j) = (0usize, 0usize);
    let new_pair_plan = sides.limited(partners.len() as u64);
    sides.row(
        "create-or-get, new pair",
        "",
        new_pair_plan,
        Some(&mut |core| {
            let partner = partners[i % partners.len()];
            i += 1;
            let (_, created) = core.fresh0.create_thread(&[fresh0, partner]).map_err(err)?;
            check(created, || "a new pair was not created".into())
        }),
        Some(&mut |floor| {
            let partner = partners[j % partners.len()];
            j += 1;
            let (_, created) = floor.create_or_get(&fresh1_token, fresh1.0, partner.0, now_ms())?;
            check(created, || "floor: a new pair was not created".into())
        }),
    )?;

    let hub_threads = size.hub_threads;
    sides.row(
        &format!("inbox page of 50 ({hub_threads} threads)"),
        "first page; one query: member index range scan, thread, other user, last message",
        plan,
        Some(&mut |core| {
            let page = core
                .hub
                .list_threads(&ThreadQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50, || {
                format!("inbox page of {}", page.items.len())
            })
        }),
        Some(&mut |floor| {
            let rows = floor.inbox(&hub_token, 50, now_ms())?;
            check(rows == 50, || format!("floor inbox page of {rows}"))
        }),
    )?;

    let heavy = world.heavy_thread;
    let (heavy_first, heavy_last) = world.heavy_ids;
    check(
        heavy_last.0 - heavy_first.0 + 1 == size.heavy_messages as i64,
        || "the heavy thread's ids are not contiguous".into(),
    )?;
    let alice_token = sides.floor.token_by_name("alice")?;
    let depth = size.heavy_messages * 9 / 10;
    let before = MessageId(heavy_last.0 - depth as i64 + 1);
    let k = size.heavy_messages;
    sides.row(
        &format!("history page of 50, top ({k} msgs)"),
        "keyset; the participant check in the same statement",
        plan,
        Some(&mut |core| {
            let page = core
                .alice
                .list_messages(heavy, &MessageQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50 && page.has_more, || {
                "short top page".into()
            })
        }),
        Some(&mut |floor| {
            let rows = floor.history(&alice_token, heavy.0, i64::MAX, 51, now_ms())?;
            check(rows.len() == 51, || "floor: short top page".into())
        }),
    )?;
    let deep = MessageQuery {
        before: Some(before),
        ..Default::default()
    };
    sides.row(
        &format!("history page of 50, depth {depth}"),
        "keyset: `id < $` on (thread_id, id)",
        plan,
        Some(&mut |core| {
            let page = core.alice.list_messages(heavy, &deep).map_err(err)?;
            check(page.items.len() == 50, || "short deep page".into())
        }),
        Some(&mut |floor| {
            let rows = floor.history(&alice_token, heavy.0, before.0, 51, now_ms())?;
            check(rows.len() == 51, || "floor: short deep page".into())
        }),
    )?;
    sides.pair_row(
        &format!("history page of 50, depth {depth} against top"),
        "both columns chatcore, alternating: deep | top (not a floor)",
        &mut |core| {
            let page = core.alice.list_messages(heavy, &deep).map_err(err)?;
            check(page.items.len() == 50, || "short deep page".into())
        },
        &mut |core| {
            let page = core
                .alice
                .list_messages(heavy, &MessageQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50, || "short top page".into())
        },
    )?;
    let offset_plan = Plan {
        rounds: 1,
        samples_per_round: 5,
        warmup_iterations: 0,
        max_iterations: 1,
        ..plan
    };
    let keyset_first = sides
        .floor
        .history(&alice_token, heavy.0, before.0, 50, now_ms())?;
    let offset_page = sides.floor.history_offset(heavy.0, depth as i64, 50)?;
    check(
        keyset_first.first().map(|row| row.0) == offset_page.last().map(|id| id + 49),
        || "the keyset and offset deep pages differ".into(),
    )?;
    sides.row(
        &format!("offset page of 50, depth {depth} (bare SQL)"),
        "`LIMIT 50 OFFSET depth`, what keyset avoids; no floor",
        offset_plan,
        None,
        Some(&mut |floor| {
            let rows = floor.history_offset(heavy.0, depth as i64, 50)?;
            check(rows.len() == 50, || "short offset page".into())
        }),
    )?;

    let (mr_first, mr_last) = world.mark_read_ids;
    let mr_token = token(sides, world.mark_read_reader)?;
    let (mut up, mut down) = (mr_first.0, mr_last.0);
    let supply = (mr_last.0 - mr_first.0 + 1) as u64;
    let mark_plan = sides.limited(supply);
    sides.row(
        "mark one message read",
        "one statement: the message, both counters",
        mark_plan,
        Some(&mut |core| {
            let message = core.mr.mark_read(MessageId(up)).map_err(err)?;
            up += 1;
            check(message.read_at.is_some(), || "not marked".into())
        }),
        Some(&mut |floor| {
            let marked = floor.mark_read(&mr_token, down, now_ms())?;
            down -= 1;
            check(marked, || "floor: not marked".into())
        }),
    )?;
    check(up <= down, || "mark-read supply ran out".into())?;
    let threads: Vec<ThreadId> = world.mark_thread_threads.clone();
    let mtr_token = token(sides, world.mark_thread_reader)?;
    let (mut up, mut down) = (0usize, threads.len());
    let thread_plan = sides.limited(threads.len() as u64);
    sides.row(
        "mark thread read, backlog 100",
        "one statement: the backlog above the read mark, member and user counters",
        thread_plan,
        Some(&mut |core| {
            let marked = core.mtr.mark_thread_read(threads[up], None).map_err(err)?;
            up += 1;
            check(marked == 100, || format!("marked {marked}, expected 100"))
        }),
        Some(&mut |floor| {
            down -= 1;
            let marked = floor.mark_thread_read(&mtr_token, threads[down].0, now_ms())?;
            check(marked == 100, || {
                format!("floor marked {marked}, expected 100")
            })
        }),
    )?;
    check(up <= down, || "mark-thread supply ran out".into())?;

    for (index, (expected, user)) in size.backlogs.iter().zip(world.backlog_users).enumerate() {
        let user_token = token(sides, user)?;
        sides.row(
            &format!("unread count, backlog {expected}"),
            "one counter, joined to the session check",
            plan,
            Some(&mut |core| {
                let count = core.backlog[index].unread_count().map_err(err)?;
                check(count == *expected, || {
                    format!("unread {count}, expected {expected}")
                })
            }),
            Some(&mut |floor| {
                let count = floor.unread(&user_token, now_ms())?;
                check(count as u64 == *expected, || {
                    format!("floor unread {count}")
                })
            }),
        )?;
    }
    let (b_low, b_high) = (size.backlogs[0], size.backlogs[2]);
    sides.pair_row(
        &format!("unread count, backlog {b_high} against backlog {b_low}"),
        &format!(
            "both columns chatcore, alternating: backlog {b_high} | backlog {b_low} (not a floor)"
        ),
        &mut |core| {
            let count = core.backlog[2].unread_count().map_err(err)?;
            check(count == b_high, || format!("unread {count}"))
        },
        &mut |core| {
            let count = core.backlog[0].unread_count().map_err(err)?;
            check(count == b_low, || format!("unread {count}"))
        },
    )?;
    let login_plan = Plan {
        rounds: 1,
        samples_per_round: 5,
        warmup_iterations: 0,
        max_iterations: 1,
        ..plan
    };
    sides.row(
        "login (argon2id, OWASP: m=19 MiB, t=2, p=1)",
        "dominated by the password hash; no floor",
        login_plan,
        Some(&mut |core| {
            core.store
                .login("hub@bench.example", PASSWORD)
                .map(drop)
                .map_err(err)
        }),
        None,
    )?;
    let mismatches = sides.floor.mismatches()?;
    check(mismatches == 0, || {
        format!("{mismatches} floor counters disagree with the messages")
    })?;
    if let Some((direct, _)) = &sides.core {
        let report = direct.store.verify_unread().map_err(err)?;
        check(report.mismatches.is_empty(), || {
            "verify_unread after the measurements".into()
        })?;
    }
    Ok(())
}

/// Sends/s with 1, 2, 4 and 8 client threads, each sending in its own
/// thread of the conversation graph (no row shared between senders):
/// (threads, chatcore sends/s, floor sends/s).
type Scaling = Vec<(usize, Option<f64>, f64)>;

fn scaling(sides: &Sides, world: &World, floor_url: &str, quick: bool) -> R<Scaling> {
    let seconds = if quick { 0.5 } else { 2.0 };
    let max = CLIENT_THREADS[CLIENT_THREADS.len() - 1];
    let users: Vec<(chatcore::UserId, chatcore::UserId)> = (0..max)
        .map(|k| {
            (
                world.fresh[FIRST_PAIR + 2 * k],
                world.fresh[FIRST_PAIR + 2 * k + 1],
            )
        })
        .collect();
    // The floor's threads, one per pair.
    let mut setup = Floor::connect(floor_url)?;
    let mut floor_pairs = Vec::new();
    for (sender, recipient) in &users {
        let token = setup.token(sender.0)?;
        let (thread, _) = setup.create_or_get(&token, sender.0, recipient.0, now_ms())?;
        floor_pairs.push((token, thread));
    }
    // chatcore's, with a session per sender.
    let core_pairs = match &sides.core {
        Some((direct, _)) => {
            let mut pairs = Vec::new();
            for (sender, recipient) in &users {
                let name = direct
                    .store
                    .login(
                        &format!("{}@bench.example", username_of(world, *sender)),
                        PASSWORD,
                    )
                    .map_err(err)?;
                let (thread, _) = name.create_thread(&[*sender, *recipient]).map_err(err)?;
                pairs.push((name, thread.id));
            }
            Some(pairs)
        }
        None => None,
    };
    let texts: Vec<&str> = {
        let mut rng = data::Rng::new(11);
        (0..64).map(|_| data::text(&mut rng)).collect()
    };
    // Every connection is made before the clock starts.
    let mut floor_clients = floor_pairs
        .into_iter()
        .map(|(token, thread)| Ok((Floor::connect(floor_url)?, token, thread)))
        .collect::<R<Vec<_>>>()?;
    let mut core_clients = core_pairs;
    let mut results = Vec::new();
    for threads in CLIENT_THREADS {
        let floor_rate = run_clients(
            &mut floor_clients[..threads],
            seconds,
            |(floor, token, thread), n| {
                floor
                    .send(token, *thread, texts[n % 64], now_ms())
                    .map(drop)
            },
        )?;
        let core_rate = match core_clients.as_mut() {
            Some(clients) => Some(run_clients(
                &mut clients[..threads],
                seconds,
                |(session, thread), n| session.send(*thread, texts[n % 64]).map(drop).map_err(err),
            )?),
            None => None,
        };
        eprintln!(
            "  sends/s with {threads} client thread(s): chatcore {}, floor {floor_rate:.0}",
            core_rate.map_or("—".into(), |r| format!("{r:.0}"))
        );
        results.push((threads, core_rate, floor_rate));
    }
    Ok(results)
}

/// Runs `send` in a loop on one thread per client, all starting together,
/// for `seconds`; the total sends per second.
fn run_clients<C: Send>(
    clients: &mut [C],
    seconds: f64,
    send: impl Fn(&mut C, usize) -> R<()> + Sync,
) -> R<f64> {
    let start = std::sync::Barrier::new(clients.len());
    let sent = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter_mut()
            .map(|client| {
                let (send, start) = (&send, &start);
                scope.spawn(move || -> R<(u64, f64)> {
                    start.wait();
                    let began = Instant::now();
                    let deadline = began + Duration::from_secs_f64(seconds);
                    let mut sent = 0u64;
                    while Instant::now() < deadline {
                        send(client, sent as usize)?;
                        sent += 1;
                    }
                    Ok((sent, began.elapsed().as_secs_f64()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| "a client thread panicked".to_string())?
            })
            .collect::<R<Vec<_>>>()
    })?;
    Ok(sent.iter().map(|(n, secs)| *n as f64 / secs).sum())
}

/// The generated name of a fresh user (`fresh{i}`).
fn username_of(world: &World, user: chatcore::UserId) -> String {
    let index = world.fresh.iter().position(|id| *id == user).unwrap_or(0);
    format!("fresh{index}")
}

fn render(
    sides: &Sides,
    scaling: &Scaling,
    world: &World,
    size: Size,
    seconds: f64,
    quick: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## PostgreSQL: chatcore against bare `postgres`-crate SQL ({} run)\n\n\
         {} users, {} threads, {} messages (heavy thread {}, hub {} threads); run {:.0} s.\n",
        if quick { "quick" } else { "full" },
        world.users,
        world.threads,
        world.messages,
        size.heavy_messages,
        size.hub_threads,
        seconds
    );
    let _ = writeln!(
        out,
        "| operation | chatcore median (p10–p90) | floor median (p10–p90) | chatcore / floor | round trips chatcore | round trips floor | note |\n|---|---|---|---|---|---|---|"
    );
    let spread = |s: &Summary| {
        let (low, high) = s.spread();
        format!("{} ({}–{})", human(s.median()), human(low), human(high))
    };
    for row in &sides.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.name,
            row.core.as_ref().map_or("— (not measured)".into(), spread),
            row.floor.as_ref().map_or("—".into(), spread),
            ratio(row).map_or("—".into(), |r| format!("**{r:.2}**")),
            trips_text(row.round_trips.0),
            trips_text(row.round_trips.1),
            row.note
        );
    }
    let _ = writeln!(
        out,
        "\n| sends/s, each client thread on its own conversation | chatcore | floor | chatcore / floor |\n|---|---|---|---|"
    );
    for (threads, core, floor) in scaling {
        let _ = writeln!(
            out,
            "| {threads} | {} | {floor:.0} | {} |",
            core.map_or("— (not measured)".into(), |r| format!("{r:.0}")),
            core.map_or("—".into(), |r| format!("{:.2}", r / floor))
        );
    }
    out
}
