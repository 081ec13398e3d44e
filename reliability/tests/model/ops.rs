//! The operations of a random sequence, and the strategy that draws them.

use proptest::prelude::*;

pub(crate) const USERS: usize = 4;
pub(crate) const TEXTS: &[&str] = &[
    "hi",
    "  padded  ",
    "é ünïcode 🙂",
    "'; DROP TABLE messages; --",
    "line\nbreak\ttab",
];

/// Client keys of [`Op::SendWithKey`].
pub(crate) const KEYS: [&str; 3] = ["k1", "k2", "0b7e5c1e-8f0a-4d5e-9a8c-2f4e6b1d3a57"];

#[derive(Debug, Clone)]
pub(crate) enum Op {
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
pub(crate) enum Cursor {
    Latest,
    Before(usize),
    After(usize),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
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
