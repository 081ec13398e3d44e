//! An arbitrary sequence of core operations on one in-memory store.
//!
//! Every call must return (Ok or a typed error, never a panic, never
//! `Internal`, never `Storage`/`Busy` on a private in-memory store), and at
//! the end every unread counter must equal its recomputation
//! (`Store::verify_unread` reports no mismatch).
//!
//! Arguments are mostly picked from what earlier steps produced (registered
//! users, live sessions, threads, messages), so the sequence gets past the
//! input checks into the rules (each run starts with two users, both
//! logged in, and their thread); each can also be a raw fuzzer value
//! (negative and huge ids, any text) to exercise the refusals.

#![no_main]

use arbitrary::Arbitrary;
use chatcore::{
    Config, Error, MessageId, MessageQuery, NewUser, Session, Store, ThreadId, ThreadQuery, UserId,
};
use libfuzzer_sys::fuzz_target;

/// The password of every user registered through `Name::Known`.
const PASSWORD: &str = "password-123";

/// A name: one of a few well-formed ones (so registrations succeed and
/// collide), or any text.
#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Raw(String),
}

/// An id: one produced by an earlier step (by index), or any number.
#[derive(Arbitrary, Debug)]
enum Id {
    Seen(u8),
    Raw(i64),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Register {
        name: Name,
        password: Option<String>,
        first_name: String,
    },
    Login {
        name: Name,
        password: Option<String>,
    },
    Resume {
        session: u8,
    },
    CreateThread {
        session: u8,
        participants: Vec<Id>,
    },
    Send {
        session: u8,
        thread: Id,
        text: String,
    },
    ListMessages {
        session: u8,
        thread: Id,
        before: Option<Id>,
        after: Option<Id>,
        limit: Option<u32>,
    },
    ListThreads {
        session: u8,
        cursor: Option<String>,
        limit: Option<u32>,
    },
    MarkRead {
        session: u8,
        message: Id,
    },
    MarkThreadRead {
        session: u8,
        thread: Id,
        up_to: Option<Id>,
    },
    DeleteThread {
        session: u8,
        thread: Id,
    },
    UnreadCount {
        session: u8,
    },
    FindUser {
        session: u8,
        query: Name,
    },
    Logout {
        session: u8,
    },
}

#[derive(Default)]
struct World {
    users: Vec<i64>,
    sessions: Vec<Session>,
    threads: Vec<i64>,
    messages: Vec<i64>,
}

fn pick(seen: &[i64], id: &Id) -> i64 {
    match *id {
        Id::Seen(i) if !seen.is_empty() => seen[usize::from(i) % seen.len()],
        Id::Seen(i) => i64::from(i),
        Id::Raw(raw) => raw,
    }
}

fn name_text(name: &Name) -> (String, String) {
    match name {
        // Eight users at most: enough for taken emails and usernames.
        Name::Known(n) => {
            let n = n % 8;
            (format!("user{n}@example.com"), format!("user{n}"))
        }
        Name::Raw(text) => (text.clone(), text.clone()),
    }
}

/// A call may fail with its typed error; a private in-memory store has no
/// reason for a storage or busy error, and `Internal` is always a bug.
fn check<T>(what: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err @ (Error::Internal(_) | Error::Storage { .. } | Error::Busy)) => {
            panic!("{what}: unexpected error {err:?}")
        }
        Err(_) => None,
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let store = Store::open_in_memory_with(Config::insecure_fast_for_tests()).unwrap();
    let mut world = World::default();
    // Two users, logged in, with a thread: most sequences the fuzzer finds
    // in a minute are short, and without this few would get to a message.
    for n in 0..2u8 {
        step(
            &store,
            &mut world,
            &Op::Register {
                name: Name::Known(n),
                password: None,
                first_name: String::new(),
            },
        );
        step(
            &store,
            &mut world,
            &Op::Login {
                name: Name::Known(n),
                password: None,
            },
        );
    }
    step(
        &store,
        &mut world,
        &Op::CreateThread {
            session: 0,
            participants: vec![Id::Seen(1)],
        },
    );
    assert_eq!(
        (world.users.len(), world.sessions.len(), world.threads.len()),
        (2, 2, 1)
    );
    // Long sequences only slow the fuzzer down; 64 steps reach every rule.
    for op in ops.iter().take(64) {
        step(&store, &mut world, op);
    }
    let report = store.verify_unread().unwrap();
    assert!(
        report.mismatches.is_empty(),
        "unread counters disagree with the messages: {:?}",
        report.mismatches
    );
});

fn session(world: &World, i: u8) -> Option<Session> {
    (!world.sessions.is_empty())
        .then(|| world.sessions[usize::from(i) % world.sessions.len()].clone())
}

fn step(store: &Store, world: &mut World, op: &Op) {
    match op {
        Op::Register {
            name,
            password,
            first_name,
        } => {
            let (email, username) = name_text(name);
            let new = NewUser {
                email: &email,
                username: &username,
                password: password.as_deref().unwrap_or(PASSWORD),
                first_name,
                last_name: "",
            };
            if let Some(user) = check("register", store.register(&new)) {
                world.users.push(user.id.get());
            }
        }
        Op::Login { name, password } => {
            let (email, _) = name_text(name);
            let password = password.as_deref().unwrap_or(PASSWORD);
            if let Some(session) = check("login", store.login(&email, password)) {
                world.sessions.push(session);
            }
        }
        Op::Resume { session: i } => {
            if let Some(s) = session(world, *i) {
                if let Some(resumed) = check("resume", store.resume(s.token())) {
                    assert_eq!(resumed.user_id(), s.user_id());
                    world.sessions.push(resumed);
                }
            }
        }
        Op::CreateThread {
            session: i,
            participants,
        } => {
            if let Some(s) = session(world, *i) {
                // An empty list stands for the usual case: me and someone.
                let mut ids: Vec<UserId> = participants
                    .iter()
                    .take(4)
                    .map(|id| UserId(pick(&world.users, id)))
                    .collect();
                if ids.len() == 1 {
                    ids.insert(0, s.user_id());
                }
                if let Some((thread, _)) = check("create_thread", s.create_thread(&ids)) {
                    world.threads.push(thread.id.get());
                }
            }
        }
        Op::Send {
            session: i,
            thread,
            text,
        } => {
            if let Some(s) = session(world, *i) {
                let thread = ThreadId(pick(&world.threads, thread));
                if let Some(message) = check("send", s.send(thread, text)) {
                    assert_eq!(message.text, *text);
                    world.messages.push(message.id.get());
                }
            }
        }
        Op::ListMessages {
            session: i,
            thread,
            before,
            after,
            limit,
        } => {
            if let Some(s) = session(world, *i) {
                let query = MessageQuery {
                    before: before
                        .as_ref()
                        .map(|id| MessageId(pick(&world.messages, id))),
                    after: after
                        .as_ref()
                        .map(|id| MessageId(pick(&world.messages, id))),
                    limit: *limit,
                };
                let thread = ThreadId(pick(&world.threads, thread));
                if let Some(page) = check("list_messages", s.list_messages(thread, &query)) {
                    assert!(page.items.windows(2).all(|w| w[0].id < w[1].id));
                }
            }
        }
        Op::ListThreads {
            session: i,
            cursor,
            limit,
        } => {
            if let Some(s) = session(world, *i) {
                let query = ThreadQuery {
                    cursor: cursor.as_deref(),
                    limit: *limit,
                };
                if let Some(page) = check("list_threads", s.list_threads(&query)) {
                    // The next page must be accepted as given.
                    if let Some(next) = &page.next_cursor {
                        let query = ThreadQuery {
                            cursor: Some(next),
                            limit: *limit,
                        };
                        s.list_threads(&query)
                            .expect("a returned cursor is refused");
                    }
                }
            }
        }
        Op::MarkRead {
            session: i,
            message,
        } => {
            if let Some(s) = session(world, *i) {
                let message = MessageId(pick(&world.messages, message));
                check("mark_read", s.mark_read(message));
            }
        }
        Op::MarkThreadRead {
            session: i,
            thread,
            up_to,
        } => {
            if let Some(s) = session(world, *i) {
                let thread = ThreadId(pick(&world.threads, thread));
                let up_to = up_to
                    .as_ref()
                    .map(|id| MessageId(pick(&world.messages, id)));
                check("mark_thread_read", s.mark_thread_read(thread, up_to));
            }
        }
        Op::DeleteThread { session: i, thread } => {
            if let Some(s) = session(world, *i) {
                let thread = ThreadId(pick(&world.threads, thread));
                check("delete_thread", s.delete_thread(thread));
            }
        }
        Op::UnreadCount { session: i } => {
            if let Some(s) = session(world, *i) {
                check("unread_count", s.unread_count());
            }
        }
        Op::FindUser { session: i, query } => {
            if let Some(s) = session(world, *i) {
                let (_, username) = name_text(query);
                check("find_user", s.find_user(&username));
            }
        }
        Op::Logout { session: i } => {
            if let Some(s) = session(world, *i) {
                check("logout", s.logout());
            }
        }
    }
}
