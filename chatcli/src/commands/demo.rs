//! `demo`: demo users and conversations, safe to run again.

use super::written;
use crate::context::Context;
use crate::error::CliResult;
use crate::hint;
use crate::output::emit;
use chatcore::{Error, NewUser, Session, Store};
use std::io::Write;

/// The demo users' password. **Public**: it is printed and documented, so
/// never give a real account this password.
pub const DEMO_PASSWORD: &str = "demo-password";

/// (username, email, first name, last name) of each demo user.
const DEMO_USERS: [(&str, &str, &str, &str); 3] = [
    ("ann", "ann@example.com", "Ann", "Lee"),
    ("bob", "bob@example.com", "Bob", "Stone"),
    ("cyd", "cyd@example.com", "Cyd", "Park"),
];

/// Conversations: (first sender index, other index, lines alternating from the first sender).
const DEMO_CONVERSATIONS: [(usize, usize, &[&str]); 2] = [
    (
        1,
        0,
        &[
            "Hi Ann! Are we still on for lunch on Friday?",
            "Yes! 12:30 at the usual place?",
            "Perfect, see you there.",
        ],
    ),
    (2, 0, &["Ann, could you review my pull request today?"]),
];

fn login_all(store: &Store) -> CliResult<Vec<Session>> {
    DEMO_USERS
        .iter()
        .map(|(_, email, _, _)| Ok(store.login(email, DEMO_PASSWORD)?))
        .collect()
}

/// `chat demo`: registers the demo users that are missing, opens their
/// conversations when new, and says how to log in.
pub fn run(ctx: &mut Context, out: &mut dyn Write) -> CliResult<()> {
    let store = ctx.store()?.clone();
    let mut created_users = 0;
    for (username, email, first_name, last_name) in DEMO_USERS {
        match store.register(&NewUser {
            email,
            username,
            password: DEMO_PASSWORD,
            first_name,
            last_name,
        }) {
            Ok(_) => created_users += 1,
            Err(Error::EmailTaken | Error::UsernameTaken) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let sessions = login_all(&store)?;
    let mut created_threads = 0;
    let result = (|| -> CliResult<()> {
        for (first, second, lines) in DEMO_CONVERSATIONS {
            let (a, b) = (&sessions[first], &sessions[second]);
            let (thread, created) = a.create_thread(&[a.user_id(), b.user_id()])?;
            if created {
                created_threads += 1;
                for (i, line) in lines.iter().enumerate() {
                    let sender = if i % 2 == 0 { a } else { b };
                    // Whoever answers has read what came before, as in a real chat.
                    sender.mark_thread_read(thread.id, None)?;
                    sender.send(thread.id, line)?;
                }
            }
        }
        Ok(())
    })();
    for session in &sessions {
        // These sessions were only for writing the demo; ending them keeps
        // `chat sessions` tidy for whoever logs in as a demo user.
        let _ = session.logout();
    }
    result?;
    let users: Vec<_> = DEMO_USERS
        .iter()
        .map(|(username, email, _, _)| serde_json::json!({ "username": username, "email": email }))
        .collect();
    let value = serde_json::json!({
        "users": users,
        "password": DEMO_PASSWORD,
        "created_users": created_users,
        "created_threads": created_threads,
    });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Demo ready in {} ({created_users} users and {created_threads} threads added).",
            ctx.db_path().display()
        )?;
        writeln!(
            out,
            "Demo users: ann, bob and cyd (emails ann@example.com, …)."
        )?;
        writeln!(
            out,
            "Their password is the public demo value \"{DEMO_PASSWORD}\": never use it for a real account."
        )?;
        writeln!(
            out,
            "Log in with: {}",
            hint::command("login --email ann@example.com")
        )
    }))
}
