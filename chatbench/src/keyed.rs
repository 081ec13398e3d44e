//! The idempotent send (issue 17, item 1): a send with a client key against
//! a plain send, alternating in the same rounds (both columns chatcore).
//! The key costs one indexed look-up and one entry in the partial unique
//! index `messages_client_key`; the target is ≤ 1.15×.

use crate::stats::Plan;
use crate::{Bench, R, check, err};
use chatcore::{Session, ThreadId};

/// The row's name, for the targets table.
pub const ROW: &str = "send with a key against send";

/// Measures [`ROW`]: each keyed send uses a new key (the first try, the
/// common case); a retry of the last key is checked once to be a retry.
pub fn row(
    bench: &mut Bench,
    plan: Plan,
    session: &Session,
    thread: ThreadId,
    texts: &[&str],
) -> R<()> {
    let (mut n, mut m) = (0usize, 0usize);
    bench.row(
        ROW,
        "both columns chatcore, alternating: new key each time | no key (not a floor)",
        plan,
        &mut || {
            n += 1;
            let (_, created) = session
                .send_with_key(thread, texts[n % texts.len()], &format!("bench-key-{n}"))
                .map_err(err)?;
            check(created, || format!("key {n} was not new"))
        },
        Some(&mut || {
            m += 1;
            session
                .send(thread, texts[m % texts.len()])
                .map(|_| ())
                .map_err(err)
        }),
    )?;
    let (_, created) = session
        .send_with_key(thread, texts[n % texts.len()], &format!("bench-key-{n}"))
        .map_err(err)?;
    check(!created, || "a retry stored a second message".into())
}
