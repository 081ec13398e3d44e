//! A model-based test: random sequences of register / login / resume /
//! logout / create-or-get / send / send with a key / list / mark read /
//! mark thread read / delete thread / unread / reopen / edit / withdraw
//! (delete for everyone) / clear for me, run against a file store and
//! against a plain in-memory model, compared after every step (and after
//! each edit, withdrawal and clear, `verify_unread` finds every counter
//! exact).
//!
//! `RELIABILITY_MODEL_CASES` sets the number of sequences, each of up to
//! 100 steps (`cargo test`: 32; CI: 256; the longer run in the README's
//! "Guarantees": 5,000). The same model runs on PostgreSQL when
//! `CHATCORE_TEST_POSTGRES_URL` names a server (`cargo test`: 8 cases).

use chatcore::{MessageId, MessageQuery, NewUser, Session, Store, ThreadId, UserId};
use chatcore_reliability::{PASSWORD, check_file, config, grouped, size};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const USERS: usize = 4;
const TEXTS: &[&str] = &[
    "hi",
    "  padded  ",
    "é ünïcode 🙂",
    "'; DROP TABLE messages; --",
    "line\nbreak\ttab",
];

/// Client keys of [`Op::SendWithKey`].
const KEYS: [&str; 3] = ["k1", "k2", "0b7e5c1e-8f0a-4d5e-9a8c-2f4e6b1d3a57"];

#[derive(Debug, Clone)]
enum Op {
    Register(usize),
    Login {
        user: usize,
        right: bool,
    },
    Resume(usize),
    Logout(usize),
    CreateThread {
        session: usize,
        other: usize,
    },
    Send {
        session: usize,
        thread: usize,
        text: usize,
    },
    /// `send_with_key` with one of [`KEYS`] (few, so that retries and
    /// mismatches are common).
    SendWithKey {
        session: usize,
        thread: usize,
        text: usize,
        key: usize,
    },
    List {
        session: usize,
        thread: usize,
        limit: u32,
        cursor: Cursor,
    },
    MarkRead {
        session: usize,
        message: usize,
    },
    MarkThreadRead {
        session: usize,
        thread: usize,
        up_to: Option<usize>,
    },
    DeleteThread {
        session: usize,
        thread: usize,
    },
    Unread(usize),
    Reopen,
    Edit {
        session: usize,
        message: usize,
        text: usize,
    },
    Withdraw {
        session: usize,
        message: usize,
    },
    Clear {
        session: usize,
        thread: usize,
    },
}

#[derive(Debug, Clone, Copy)]
enum Cursor {
    Latest,
    Before(usize),
    After(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..64;
    prop_oneof![
        2 => (0..USERS).prop_map(Op::Register),
        2 => (0..USERS, prop::bool::weighted(0.85)).prop_map(|(user, right)| Op::Login { user, right }),
        1 => i().prop_map(Op::Resume),
        1 => i().prop_map(Op::Logout),
        2 => (i(), 0..USERS + 1).prop_map(|(session, other)| Op::CreateThread { session, other }),
        6 => (i(), i(), 0..TEXTS.len()).prop_map(|(session, thread, text)| Op::Send { session, thread, text }),
        3 => (i(), i(), 0..2usize, 0..KEYS.len()).prop_map(|(session, thread, text, key)| Op::SendWithKey { session, thread, text, key }),
        2 => (i(), i(), 1u32..6, prop_oneof![
            Just(Cursor::Latest),
            i().prop_map(Cursor::Before),
            i().prop_map(Cursor::After)
        ]).prop_map(|(session, thread, limit, cursor)| Op::List { session, thread, limit, cursor }),
        2 => (i(), i()).prop_map(|(session, message)| Op::MarkRead { session, message }),
        2 => (i(), i(), prop::option::of(i())).prop_map(|(session, thread, up_to)| Op::MarkThreadRead { session, thread, up_to }),
        1 => (i(), i()).prop_map(|(session, thread)| Op::DeleteThread { session, thread }),
        2 => i().prop_map(Op::Unread),
        1 => Just(Op::Reopen),
        2 => (i(), i(), 0..TEXTS.len()).prop_map(|(session, message, text)| Op::Edit { session, message, text }),
        2 => (i(), i()).prop_map(|(session, message)| Op::Withdraw { session, message }),
        1 => (i(), i()).prop_map(|(session, thread)| Op::Clear { session, thread }),
    ]
}

// ---------------------------------------------------------------------------
// The reference model: plain maps, no rules shared with the core.

#[derive(Debug, Clone)]
struct ModelMessage {
    id: i64,
    thread: i64,
    sender: usize,
    text: &'static str,
    read: bool,
    /// The client key it was sent under, if any.
    key: Option<&'static str>,
    /// Edited by its sender.
    edited: bool,
    /// Withdrawn by its sender (its text is then "").
    deleted: bool,
}

#[derive(Debug, Default)]
struct Model {
    /// Registered users by index, with the id the store gave them.
    users: BTreeMap<usize, i64>,
    /// Sessions by index: whose, and whether still valid.
    sessions: Vec<(usize, bool)>,
    /// Threads: id → (pair of user indexes, deleted).
    threads: BTreeMap<i64, ([usize; 2], bool)>,
    messages: BTreeMap<i64, ModelMessage>,
    /// Clear marks: (user index, thread) → the newest message id when cleared.
    cleared: BTreeMap<(usize, i64), i64>,
}

impl Model {
    fn live_session(&self, index: usize) -> Result<usize, &'static str> {
        match self.sessions.get(index) {
            Some((user, true)) => Ok(*user),
            _ => Err("session_invalid"),
        }
    }

    /// Resolves a thread the way the caller may act on it.
    fn thread_for(&self, me: usize, id: i64) -> Result<[usize; 2], &'static str> {
        match self.threads.get(&id) {
            Some((pair, false)) if pair.contains(&me) => Ok(*pair),
            Some((_, false)) => Err("not_participant"),
            _ => Err("thread_not_found"),
        }
    }

    /// Whether `me` cleared `m` from their view.
    fn hidden(&self, me: usize, m: &ModelMessage) -> bool {
        self.cleared
            .get(&(me, m.thread))
            .is_some_and(|floor| m.id <= *floor)
    }

    /// Resolves a message the way the caller may change it (edit, withdraw).
    fn own_message(&self, me: usize, id: i64) -> Result<&ModelMessage, &'static str> {
        let m = self.messages.get(&id).ok_or("message_not_found")?;
        match self.threads[&m.thread] {
            (_, true) => Err("message_not_found"),
            (pair, false) if !pair.contains(&me) => Err("not_participant"),
            _ if self.hidden(me, m) => Err("message_not_found"),
            _ if m.sender != me => Err("not_sender"),
            _ => Ok(m),
        }
    }

    fn unread(&self, me: usize) -> u64 {
        self.messages
            .values()
            .filter(|m| !m.read && m.sender != me && !m.deleted && !self.hidden(me, m))
            .filter(|m| self.threads[&m.thread].0.contains(&me))
            .count() as u64
    }
}

/// The system under test: a file store and one session handle per model session.
struct Real<'a> {
    path: &'a Path,
    store: Option<Store>,
    sessions: Vec<Option<Session>>,
    tokens: Vec<String>,
}

impl Real<'_> {
    fn store(&self) -> &Store {
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }

    fn session(&self, index: usize) -> Option<&Session> {
        self.sessions.get(index).and_then(Option::as_ref)
    }
}

fn code<T>(result: &chatcore::Result<T>) -> Result<(), &'static str> {
    match result {
        Ok(_) => Ok(()),
        Err(err) => Err(err.code()),
    }
}

/// An id for a user index: the stored id, or one no user has.
fn user_id(model: &Model, index: usize) -> UserId {
    UserId(
        model
            .users
            .get(&index)
            .copied()
            .unwrap_or(10_000 + index as i64),
    )
}

fn pick<T: Copy>(items: &[T], index: usize, missing: T) -> T {
    match items.len() {
        0 => missing,
        len => items[index % len],
    }
}

/// Runs one step on both sides and compares; returns a description of a
/// disagreement.
fn step(model: &mut Model, real: &mut Real<'_>, op: &Op) -> Result<(), String> {
    let thread_ids: Vec<i64> = model.threads.keys().copied().collect();
    let message_ids: Vec<i64> = model.messages.keys().copied().collect();
    let differ = |what: &str, expected: &dyn std::fmt::Debug, got: &dyn std::fmt::Debug| {
        Err(format!("{op:?}: {what}: model {expected:?}, store {got:?}"))
    };
    // A session index beyond those made stands for a session that never was.
    let session_of = |real: &Real<'_>, index: usize| -> Option<Session> {
        match real.sessions.len() {
            0 => None,
            len => real.session(index % len).cloned(),
        }
    };
    let index_of = |index: usize| match model.sessions.len() {
        0 => usize::MAX,
        len => index % len,
    };
    match *op {
        Op::Register(u) => {
            let email = format!("u{u}@example.com");
            let result = real.store().register(&NewUser {
                email: &email,
                username: &format!("u{u}"),
                password: PASSWORD,
                ..Default::default()
            });
            let expected = match model.users.contains_key(&u) {
                true => Err("email_taken"),
                false => Ok(()),
            };
            if code(&result) != expected {
                return differ("register", &expected, &code(&result));
            }
            if let Ok(user) = result {
                model.users.insert(u, user.id.0);
            }
        }
        Op::Login { user, right } => {
            let password = if right { PASSWORD } else { "wrong password" };
            let result = real
                .store()
                .login(&format!("u{user}@example.com"), password);
            let expected = match model.users.contains_key(&user) && right {
                true => Ok(()),
                false => Err("invalid_credentials"),
            };
            if code(&result) != expected {
                return differ("login", &expected, &code(&result));
            }
            if let Ok(session) = result {
                model.sessions.push((user, true));
                real.tokens.push(session.token().to_string());
                real.sessions.push(Some(session));
            }
        }
        Op::Resume(s) => {
            let index = index_of(s);
            let expected = model.live_session(index).map(|_| ());
            let token = real.tokens.get(index).cloned().unwrap_or_default();
            let result = real.store().resume(&token);
            if code(&result) != expected {
                return differ("resume", &expected, &code(&result));
            }
            if let Ok(session) = result {
                if session.user_id() != user_id(model, model.sessions[index].0) {
                    return Err(format!("{op:?}: resumed as another user"));
                }
                real.sessions[index] = Some(session);
            }
        }
        Op::Logout(s) => {
            let index = index_of(s);
            let expected = model.live_session(index).map(|_| ());
            let result = match session_of(real, s) {
                Some(session) => session.logout(),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("logout", &expected, &code(&result));
            }
            if result.is_ok() {
                model.sessions[index].1 = false;
            }
        }
        Op::CreateThread { session: s, other } => {
            let index = index_of(s);
            // A session that did not survive a reopen has no handle to ask
            // with; the duplicate check (made before the session check) is
            // then out of reach.
            let me = match session_of(real, s) {
                Some(_) => model.sessions.get(index).map(|(user, _)| *user),
                None => None,
            };
            let expected: Result<Option<i64>, &str> = match me {
                Some(me) if me == other => Err("duplicate_participant"),
                _ => model.live_session(index).and_then(|me| {
                    if !model.users.contains_key(&other) {
                        return Err("user_not_found");
                    }
                    let pair = [me.min(other), me.max(other)];
                    Ok(model
                        .threads
                        .iter()
                        .find(|(_, (p, deleted))| *p == pair && !deleted)
                        .map(|(id, _)| *id))
                }),
            };
            let result = match (session_of(real, s), me) {
                (Some(session), Some(me)) => {
                    session.create_thread(&[user_id(model, me), user_id(model, other)])
                }
                _ => Err(chatcore::Error::SessionInvalid),
            };
            match (&expected, &result) {
                (Ok(Some(id)), Ok((thread, false))) if thread.id.0 == *id => {}
                (Ok(None), Ok((thread, true))) => {
                    let me = me.unwrap_or_else(|| unreachable!());
                    let pair = [me.min(other), me.max(other)];
                    model.threads.insert(thread.id.0, (pair, false));
                }
                (Err(code), Err(err)) if *code == err.code() => {}
                _ => return differ("create_thread", &expected, &result),
            }
        }
        Op::Send {
            session: s,
            thread,
            text,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                Ok(me)
            });
            let result = match session_of(real, s) {
                Some(session) => session.send(ThreadId(thread), TEXTS[text]),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected.map(|_| ()) {
                return differ("send", &expected, &code(&result));
            }
            if let (Ok(message), Ok(me)) = (result, expected) {
                if message.text != TEXTS[text] || message.thread_id.0 != thread {
                    return Err(format!("{op:?}: send returned {message:?}"));
                }
                if message_ids.last().is_some_and(|last| *last >= message.id.0) {
                    return Err(format!("{op:?}: message id {} is not new", message.id));
                }
                model.messages.insert(
                    message.id.0,
                    ModelMessage {
                        id: message.id.0,
                        thread,
                        sender: me,
                        text: TEXTS[text],
                        read: false,
                        key: None,
                        edited: false,
                        deleted: false,
                    },
                );
            }
        }
        Op::SendWithKey {
            session: s,
            thread,
            text,
            key,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let (text, key) = (TEXTS[text], KEYS[key]);
            // Ok((me, Some(first id))) for a retry, Ok((me, None)) for a new send.
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let first = model
                    .messages
                    .values()
                    .find(|m| m.sender == me && m.key == Some(key));
                match first {
                    Some(m) if m.thread == thread && (m.text == text || m.edited || m.deleted) => {
                        Ok((me, Some(m.id)))
                    }
                    Some(_) => Err("invalid_argument"),
                    None => Ok((me, None)),
                }
            });
            let result = match session_of(real, s) {
                Some(session) => session.send_with_key(ThreadId(thread), text, key),
                None => Err(chatcore::Error::SessionInvalid),
            };
            match (&expected, &result) {
                (Ok((_, Some(id))), Ok((message, false))) if message.id.0 == *id => {
                    let stored = &model.messages[id];
                    if message.text != stored.text || message.read_at.is_some() != stored.read {
                        return Err(format!("{op:?}: retry returned {message:?}"));
                    }
                }
                (Ok((me, None)), Ok((message, true))) => {
                    if message.text != text || message.thread_id.0 != thread {
                        return Err(format!("{op:?}: send_with_key returned {message:?}"));
                    }
                    if message_ids.last().is_some_and(|last| *last >= message.id.0) {
                        return Err(format!("{op:?}: message id {} is not new", message.id));
                    }
                    model.messages.insert(
                        message.id.0,
                        ModelMessage {
                            id: message.id.0,
                            thread,
                            sender: *me,
                            text,
                            read: false,
                            key: Some(key),
                            edited: false,
                            deleted: false,
                        },
                    );
                }
                (Err(code), Err(err)) if *code == err.code() => {}
                _ => {
                    return differ(
                        "send_with_key",
                        &expected,
                        &result
                            .map(|(m, created)| (m.id, created))
                            .map_err(|e| e.code()),
                    );
                }
            }
        }
        Op::List {
            session: s,
            thread,
            limit,
            cursor,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let query = match cursor {
                Cursor::Latest => MessageQuery::default(),
                Cursor::Before(m) => MessageQuery {
                    before: Some(MessageId(pick(&message_ids, m, 1))),
                    ..Default::default()
                },
                Cursor::After(m) => MessageQuery {
                    after: Some(MessageId(pick(&message_ids, m, 0))),
                    ..Default::default()
                },
            };
            let query = MessageQuery {
                limit: Some(limit),
                ..query
            };
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let all: Vec<&ModelMessage> = model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread && !model.hidden(me, m))
                    .collect();
                let limit = limit as usize;
                let (mut page, more): (Vec<&ModelMessage>, bool) = match (query.before, query.after)
                {
                    (_, Some(after)) => {
                        let newer: Vec<_> = all.into_iter().filter(|m| m.id > after.0).collect();
                        (
                            newer.iter().take(limit).copied().collect(),
                            newer.len() > limit,
                        )
                    }
                    (before, None) => {
                        let before = before.map_or(i64::MAX, |b| b.0);
                        let older: Vec<_> = all.into_iter().filter(|m| m.id < before).collect();
                        let skip = older.len().saturating_sub(limit);
                        (older[skip..].to_vec(), skip > 0)
                    }
                };
                page.sort_by_key(|m| m.id);
                Ok((
                    page.iter()
                        .map(|m| (m.id, m.text.to_string(), user_id(model, m.sender), m.read))
                        .collect::<Vec<_>>(),
                    more,
                ))
            });
            let result = match session_of(real, s) {
                Some(session) => session.list_messages(ThreadId(thread), &query),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let got = result
                .map(|page| {
                    (
                        page.items
                            .iter()
                            .map(|m| (m.id.0, m.text.clone(), m.sender_id, m.read_at.is_some()))
                            .collect::<Vec<_>>(),
                        page.has_more,
                    )
                })
                .map_err(|err| err.code());
            if got != expected {
                return differ("list_messages", &expected, &got);
            }
        }
        Op::MarkRead {
            session: s,
            message,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                let Some(m) = model.messages.get(&message) else {
                    return Err("message_not_found");
                };
                match model.threads[&m.thread] {
                    (_, true) => Err("message_not_found"),
                    (pair, false) if !pair.contains(&me) => Err("not_participant"),
                    _ if model.hidden(me, m) => Err("message_not_found"),
                    _ if m.sender == me => Err("not_recipient"),
                    _ => Ok(()),
                }
            });
            let withdrawn = model.messages.get(&message).is_some_and(|m| m.deleted);
            let result = match session_of(real, s) {
                Some(session) => session.mark_read(MessageId(message)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("mark_read", &expected, &code(&result));
            }
            if let Ok(stored) = result {
                // A withdrawn message is never unread: marking it changes nothing.
                let read = model.messages.get(&message).is_some_and(|m| m.read);
                if stored.read_at.is_some() != (read || !withdrawn) || stored.id.0 != message {
                    return Err(format!("{op:?}: mark_read returned {stored:?}"));
                }
                if let Some(m) = model.messages.get_mut(&message).filter(|_| !withdrawn) {
                    m.read = true;
                }
            }
        }
        Op::MarkThreadRead {
            session: s,
            thread,
            up_to,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let up_to = up_to.map(|m| pick(&message_ids, m, 1));
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                Ok(model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread && m.sender != me && !m.read)
                    .filter(|m| !m.deleted && !model.hidden(me, m))
                    .filter(|m| up_to.is_none_or(|bound| m.id <= bound))
                    .map(|m| m.id)
                    .collect::<Vec<_>>())
            });
            let result = match session_of(real, s) {
                Some(session) => session.mark_thread_read(ThreadId(thread), up_to.map(MessageId)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let expected_count = expected.clone().map(|ids| ids.len() as u64);
            let got = result.map_err(|err| err.code());
            if got != expected_count {
                return differ("mark_thread_read", &expected_count, &got);
            }
            for id in expected.unwrap_or_default() {
                if let Some(m) = model.messages.get_mut(&id) {
                    m.read = true;
                }
            }
        }
        Op::DeleteThread { session: s, thread } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model
                .live_session(index_of(s))
                .and_then(|me| model.thread_for(me, thread).map(|_| ()));
            let result = match session_of(real, s) {
                Some(session) => session.delete_thread(ThreadId(thread)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("delete_thread", &expected, &code(&result));
            }
            if result.is_ok() {
                if let Some(entry) = model.threads.get_mut(&thread) {
                    entry.1 = true;
                }
                model.messages.retain(|_, m| m.thread != thread);
            }
        }
        Op::Unread(s) => {
            let expected = model.live_session(index_of(s)).map(|me| model.unread(me));
            let got = match session_of(real, s) {
                Some(session) => session.unread_count(),
                None => Err(chatcore::Error::SessionInvalid),
            }
            .map_err(|err| err.code());
            if got != expected {
                return differ("unread_count", &expected, &got);
            }
        }
        Op::Edit {
            session: s,
            message,
            text,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                match model.own_message(me, message)? {
                    m if m.deleted => Err("invalid_argument"),
                    _ => Ok(()),
                }
            });
            let result = match session_of(real, s) {
                Some(session) => session.edit_message(MessageId(message), TEXTS[text]),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("edit_message", &expected, &code(&result));
            }
            if let Ok(edited) = result {
                let m = model.messages.get_mut(&message).ok_or("no message")?;
                if edited.text != TEXTS[text]
                    || edited.edited_at.is_none()
                    || edited.read_at.is_some() != m.read
                {
                    return Err(format!("{op:?}: edit_message returned {edited:?}"));
                }
                m.text = TEXTS[text];
                m.edited = true;
            }
            exact_counters(real, op)?;
        }
        Op::Withdraw {
            session: s,
            message,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model
                .live_session(index_of(s))
                .and_then(|me| model.own_message(me, message).map(|_| ()));
            let result = match session_of(real, s) {
                Some(session) => session.delete_message(MessageId(message)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("delete_message", &expected, &code(&result));
            }
            if let Ok(tomb) = result {
                if !tomb.text.is_empty() || tomb.deleted_at.is_none() {
                    return Err(format!("{op:?}: delete_message returned {tomb:?}"));
                }
                let m = model.messages.get_mut(&message).ok_or("no message")?;
                m.text = "";
                m.deleted = true;
            }
            exact_counters(real, op)?;
        }
        Op::Clear { session: s, thread } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let newest = model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread)
                    .map(|m| m.id)
                    .max()
                    .unwrap_or(0);
                Ok((me, newest))
            });
            let result = match session_of(real, s) {
                Some(session) => session.clear_thread(ThreadId(thread)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let got = result.map(|id| id.0).map_err(|err| err.code());
            if got != expected.map(|(_, newest)| newest) {
                return differ("clear_thread", &expected, &got);
            }
            if let Ok((me, newest)) = expected {
                model.cleared.insert((me, thread), newest);
            }
            exact_counters(real, op)?;
        }
        Op::Reopen => {
            real.sessions.clear();
            real.store = None;
            real.store = Some(Store::open_with(real.path, config()).map_err(|e| e.to_string())?);
            for (index, token) in real.tokens.iter().enumerate() {
                let result = real.store().resume(token);
                let expected = model.live_session(index).map(|_| ());
                if code(&result) != expected {
                    return differ("resume after reopen", &expected, &code(&result));
                }
                real.sessions.push(result.ok());
            }
        }
    }
    Ok(())
}

/// Every unread counter agrees with the messages.
fn exact_counters(real: &Real<'_>, op: &Op) -> Result<(), String> {
    let report = real.store().verify_unread().map_err(|e| e.to_string())?;
    match report.mismatches.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{op:?}: counters disagree: {:?}",
            report.mismatches
        )),
    }
}

#[test]
fn the_store_behaves_like_the_model() {
    run_model("file", 32, &|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.db");
        (path, Box::new(dir))
    });
}

/// The same model against PostgreSQL (issue 14), one new schema per case,
/// on the server named by `CHATCORE_TEST_POSTGRES_URL` (else skipped).
#[test]
fn the_postgres_store_behaves_like_the_model() {
    let Some(server) = std::env::var("CHATCORE_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        say_skipped("skipped: CHATCORE_TEST_POSTGRES_URL is not set (the model on PostgreSQL)");
        return;
    };
    // Fewer cases by default: each opens a new schema and its connections.
    run_model("postgres", 8, &|| {
        let schema = Schema::new(&server);
        (PathBuf::from(schema.url.clone()), Box::new(schema))
    });
}

/// A schema of the test server, dropped with the value.
struct Schema {
    server: String,
    name: String,
    url: String,
}

impl Schema {
    fn new(server: &str) -> Schema {
        let name = format!("chatrel_model_{}", uuid::Uuid::new_v4().simple());
        postgres::Client::connect(server, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-csearch_path%3D{name}");
        Schema {
            server: server.to_string(),
            name,
            url,
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
        }
    }
}

/// The messages stored at `location`: the file check (integrity, counters)
/// of a file, a count on the server for a PostgreSQL URL (whose counters
/// `verify_unread` checked at every step).
fn stored_messages(location: &Path) -> u64 {
    match location.to_str().filter(|l| l.starts_with("postgres")) {
        Some(url) => {
            let count: i64 = postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_one("SELECT count(*) FROM messages", &[])
                .unwrap()
                .get(0);
            count as u64
        }
        None => check_file(location).messages,
    }
}

/// Runs the model's cases, each on a new store at the location `fresh`
/// gives (with a guard that removes it when dropped).
fn run_model(
    backend: &str,
    default_cases: u64,
    fresh: &dyn Fn() -> (PathBuf, Box<dyn std::any::Any>),
) {
    let cases = size("RELIABILITY_MODEL_CASES", default_cases) as u32;
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let steps = std::cell::Cell::new(0u64);
    let started = std::time::Instant::now();
    let result = runner.run(&prop::collection::vec(op(), 1..=100), |ops| {
        let (path, _guard) = fresh();
        let mut model = Model::default();
        let mut real = Real {
            path: &path,
            store: Some(Store::open_with(&path, config()).unwrap()),
            sessions: Vec::new(),
            tokens: Vec::new(),
        };
        for (n, op) in ops.iter().enumerate() {
            step(&mut model, &mut real, op)
                .map_err(|why| TestCaseError::fail(format!("step {n}: {why}")))?;
            steps.set(steps.get() + 1);
        }
        drop(real);
        prop_assert_eq!(stored_messages(&path), model.messages.len() as u64);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    println!(
        "model ({backend}): {cases} cases, {} steps (up to 100 per case), store and model agreed at every step ({:.1} s)",
        grouped(steps.get()),
        started.elapsed().as_secs_f64()
    );
}

/// Says a test was skipped, straight to stderr: the test harness captures
/// `eprintln!` of a passing test, and this line must show in every run.
fn say_skipped(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
