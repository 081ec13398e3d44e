//! Sends/s with several client threads, and the markdown table.

use super::{CLIENT_THREADS, FIRST_PAIR, Sides, Summary, err, human, now_ms, ratio, trips_text};
use crate::R;
use crate::data::{self, PASSWORD, Size, World};
use crate::pg_floor::Floor;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Sends/s with 1, 2, 4 and 8 client threads, each sending in its own
/// thread of the conversation graph (no row shared between senders):
/// (threads, chatcore sends/s, floor sends/s).
pub(super) type Scaling = Vec<(usize, Option<f64>, f64)>;

pub(super) fn scaling(sides: &Sides, world: &World, floor_url: &str, quick: bool) -> R<Scaling> {
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

pub(super) fn render(
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
