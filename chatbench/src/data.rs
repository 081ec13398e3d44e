//! The data generator: users, threads and messages with a realistic skew,
//! loaded through `Store::bulk_load`.

use chatcore::{BulkMessage, BulkUser, MessageId, Store, ThreadId, UserId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::time::Instant;

/// Messages per bulk transaction (PERF-NOTES lesson 6).
const CHUNK: u64 = 100_000;

/// The password every generated user logs in with.
pub const PASSWORD: &str = "bench-password";

/// The size of the generated data.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Messages in the one heavy thread.
    pub heavy_messages: u64,
    /// Threads of the hub user (each with 1–20 messages).
    pub hub_threads: u64,
    /// The unread backlogs of the three backlog users.
    pub backlogs: [u64; 3],
    /// Unread messages prepared for "mark one read".
    pub mark_read_supply: u64,
    /// Threads with a backlog of 100 prepared for "mark thread read".
    pub mark_thread_supply: u64,
}

impl Size {
    /// The full size of the issue: 1,000,000 messages in the heavy thread,
    /// 10,000 threads for the hub user.
    pub const FULL: Size = Size {
        heavy_messages: 1_000_000,
        hub_threads: 10_000,
        backlogs: [0, 100, 10_000],
        mark_read_supply: 60_000,
        mark_thread_supply: 1_000,
    };
    /// A CI smoke size that runs in seconds even in a debug build.
    pub const QUICK: Size = Size {
        heavy_messages: 20_000,
        hub_threads: 500,
        backlogs: [0, 100, 10_000],
        mark_read_supply: 3_000,
        mark_thread_supply: 100,
    };
}

/// The ids the benchmark needs, and how the load went.
#[derive(Debug, Clone)]
pub struct World {
    pub hub: UserId,
    pub partners: Vec<UserId>,
    pub heavy_thread: ThreadId,
    pub heavy_ids: (MessageId, MessageId),
    pub backlog_users: [UserId; 3],
    pub send_thread: ThreadId,
    pub send_pair: (UserId, UserId),
    pub mark_read_reader: UserId,
    pub mark_read_ids: (MessageId, MessageId),
    pub mark_thread_reader: UserId,
    pub mark_thread_threads: Vec<ThreadId>,
    pub fresh: Vec<UserId>,
    pub messages: u64,
    pub users: u64,
    pub threads: u64,
    pub seconds: f64,
    pub heavy_seconds: f64,
}

/// A small deterministic random generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit.";

/// A message text of 20–140 bytes (ASCII, so any slice is valid UTF-8).
pub fn text(rng: &mut Rng) -> &'static str {
    let len = 20 + rng.below(120) as usize;
    let start = rng.below((LOREM.len() - len) as u64) as usize;
    &LOREM[start..start + len]
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One planned run of messages in a thread.
struct Run {
    thread: ThreadId,
    /// (first sender, second sender); senders alternate in blocks of `block`
    /// until the unread tail.
    senders: (UserId, UserId),
    block: u64,
    count: u64,
    /// The last `unread_tail` messages are from the second sender and stay
    /// unread; all others are read. `u64::MAX`: every message is.
    unread_tail: u64,
    start: DateTime<Utc>,
}

fn err(e: chatcore::Error) -> String {
    format!("{} ({})", e, e.code())
}

/// Generates the data into `store`.
pub fn generate(store: &Store, size: Size, log: &mut dyn FnMut(&str)) -> Result<World, String> {
    let started = Instant::now();
    let hash = store.hash_password_for_import(PASSWORD).map_err(err)?;
    let mut rng = Rng::new(42);
    let extra_partners = size.hub_threads.max(size.mark_thread_supply).max(100);
    let ((world, runs), stats) = store
        .bulk_load(|bulk| {
            let mut user = |name: &str| {
                bulk.add_user(&BulkUser {
                    email: &format!("{name}@bench.example"),
                    username: name,
                    password_hash: Some(&hash),
                    created_at: Some(epoch()),
                    ..Default::default()
                })
            };
            let hub = user("hub")?;
            let partners = (0..extra_partners)
                .map(|i| user(&format!("p{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            let alice = user("alice")?;
            let bob = user("bob")?;
            let backlog_users = [user("b0")?, user("b1")?, user("b2")?];
            let (s1, s2) = (user("s1")?, user("s2")?);
            let (mr_sender, mr_reader) = (user("mr_sender")?, user("mr_reader")?);
            let mtr_reader = user("mtr_reader")?;
            let fresh = (0..50)
                .map(|i| user(&format!("fresh{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            let mut runs = Vec::new();
            let mut thread = |pair: [UserId; 2], start: DateTime<Utc>| {
                bulk.add_thread(pair, start).map(|(id, _)| id)
            };
            // The hub: 10,000 light threads, 1–20 messages each, activity spread
            // over a year; every fourth ends with two unread messages.
            for (i, partner) in partners.iter().take(size.hub_threads as usize).enumerate() {
                let start = epoch() + Duration::minutes(rng.below(525_600) as i64);
                let id = thread([hub, *partner], start)?;
                runs.push(Run {
                    thread: id,
                    senders: (hub, *partner),
                    block: 1 + rng.below(3),
                    count: 1 + rng.below(20),
                    unread_tail: if i % 4 == 0 { 2 } else { 0 },
                    start,
                });
            }
            // Backlog users: 0 (20 threads of read messages), 100 (10 × 10),
            // 10,000 (100 × 100).
            for (user, backlog) in backlog_users.iter().zip(size.backlogs) {
                let threads = match backlog {
                    0 => 20,
                    b if b <= 100 => 10,
                    _ => 100,
                };
                for partner in partners.iter().take(threads) {
                    let start = epoch() + Duration::minutes(rng.below(525_600) as i64);
                    let id = thread([*user, *partner], start)?;
                    let per_thread = backlog / threads as u64;
                    runs.push(Run {
                        thread: id,
                        senders: (*user, *partner),
                        block: 1,
                        count: per_thread + 10,
                        unread_tail: per_thread,
                        start,
                    });
                }
            }
            let send_thread = thread([s1, s2], epoch())?;
            let mr_thread = thread([mr_sender, mr_reader], epoch())?;
            runs.push(Run {
                thread: mr_thread,
                senders: (mr_reader, mr_sender),
                block: u64::MAX,
                count: size.mark_read_supply,
                unread_tail: u64::MAX,
                start: epoch(),
            });
            let mut mark_thread_threads = Vec::new();
            for partner in partners.iter().take(size.mark_thread_supply as usize) {
                let id = thread([mtr_reader, *partner], epoch())?;
                mark_thread_threads.push(id);
                runs.push(Run {
                    thread: id,
                    senders: (mtr_reader, *partner),
                    block: u64::MAX,
                    count: 100,
                    unread_tail: u64::MAX,
                    start: epoch(),
                });
            }
            // The heavy thread goes last so its ids are contiguous.
            let heavy_thread = thread([alice, bob], epoch())?;
            runs.push(Run {
                thread: heavy_thread,
                senders: (alice, bob),
                block: 5,
                count: size.heavy_messages,
                unread_tail: 50,
                start: epoch(),
            });
            let world = World {
                hub,
                partners,
                heavy_thread,
                heavy_ids: (MessageId(0), MessageId(0)),
                backlog_users,
                send_thread,
                send_pair: (s1, s2),
                mark_read_reader: mr_reader,
                mark_read_ids: (MessageId(0), MessageId(0)),
                mark_thread_reader: mtr_reader,
                mark_thread_threads,
                fresh,
                messages: 0,
                users: 0,
                threads: 0,
                seconds: 0.0,
                heavy_seconds: 0.0,
            };
            Ok((world, runs))
        })
        .map_err(err)?;
    let mut world = world;
    world.users = stats.users;
    world.threads = stats.threads;
    log(&format!(
        "  {} users, {} threads",
        stats.users, stats.threads
    ));

    // Messages, in transactions of CHUNK messages.
    let mut run_index = 0;
    let mut position = 0u64;
    let heavy_index = runs.len() - 1;
    let mut heavy_started = None;
    while run_index < runs.len() {
        let chunk_started = Instant::now();
        let ((), chunk) = store
            .bulk_load(|bulk| {
                let mut loaded = 0;
                while loaded < CHUNK && run_index < runs.len() {
                    let run = &runs[run_index];
                    if position == run.count {
                        run_index += 1;
                        position = 0;
                        if run_index == heavy_index {
                            // Start the heavy thread in a fresh transaction.
                            break;
                        }
                        continue;
                    }
                    // The unread tail comes from the second sender; before it
                    // the senders alternate in blocks and everything is read.
                    let unread =
                        run.unread_tail == u64::MAX || position + run.unread_tail >= run.count;
                    let from_first = !unread && (position / run.block).is_multiple_of(2);
                    let sender = if from_first {
                        run.senders.0
                    } else {
                        run.senders.1
                    };
                    let created_at = run.start + Duration::seconds(position as i64);
                    let id = bulk.add_message(&BulkMessage {
                        thread_id: run.thread,
                        sender_id: sender,
                        text: text(&mut rng),
                        created_at,
                        read_at: (!unread).then_some(created_at),
                    })?;
                    if run.thread == world.heavy_thread {
                        if position == 0 {
                            world.heavy_ids.0 = id;
                        }
                        world.heavy_ids.1 = id;
                    }
                    if run.senders.0 == world.mark_read_reader {
                        if world.mark_read_ids.0.0 == 0 {
                            world.mark_read_ids.0 = id;
                        }
                        world.mark_read_ids.1 = id;
                    }
                    position += 1;
                    loaded += 1;
                }
                Ok(())
            })
            .map_err(err)?;
        if run_index == heavy_index && heavy_started.is_none() {
            heavy_started = Some(Instant::now());
        }
        world.messages += chunk.messages;
        if chunk.messages > 0 {
            log(&format!(
                "  {:>9} messages loaded ({:.0} msgs/s in this transaction)",
                world.messages,
                chunk.messages as f64 / chunk_started.elapsed().as_secs_f64()
            ));
        }
    }
    world.seconds = started.elapsed().as_secs_f64();
    world.heavy_seconds = heavy_started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    Ok(world)
}
