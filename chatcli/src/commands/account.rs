//! `register`, `login`, `logout`, `whoami`.

use super::written;
use crate::cli::{LoginArgs, RegisterArgs};
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use chatcore::{NewUser, Session, User};
use serde::Serialize;
use std::io::Write;

/// The JSON of `register` and `login`.
#[derive(Serialize)]
struct LoggedIn<'a> {
    user: &'a User,
    session_id: chatcore::Uuid,
}

fn logged_in(
    ctx: &Context,
    out: &mut dyn Write,
    user: &User,
    session: &Session,
    verb: &str,
) -> CliResult<()> {
    let value = LoggedIn {
        user,
        session_id: session.id(),
    };
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "{verb} {} <{}> (user {}). You are logged in.",
            user.username, user.email, user.id
        )
    }))
}

/// `chat register`: creates the user, then logs in as them.
pub fn register(ctx: &mut Context, args: &RegisterArgs, out: &mut dyn Write) -> CliResult<()> {
    ctx.store()?;
    let password = ctx.password(args.password_stdin, true)?;
    let store = ctx.store()?;
    let user = store.register(&NewUser {
        email: &args.email,
        username: &args.username,
        password: &password,
        first_name: &args.first_name,
        last_name: &args.last_name,
    })?;
    let session = store.login(&user.email, &password)?;
    ctx.start_session(session.clone(), &user.email, &user.username)?;
    logged_in(ctx, out, &user, &session, "Registered")
}

/// `chat login`: opens a session and keeps it in the session file.
pub fn login(ctx: &mut Context, args: &LoginArgs, out: &mut dyn Write) -> CliResult<()> {
    ctx.store()?;
    let password = ctx.password(args.password_stdin, false)?;
    let session = ctx.store()?.login(&args.email, &password)?;
    let user = session.me()?;
    ctx.start_session(session.clone(), &args.email, &user.username)?;
    logged_in(ctx, out, &user, &session, "Hello")
}

/// `chat logout`: ends the session in the store and removes the session file.
pub fn logout(ctx: &mut Context, out: &mut dyn Write) -> CliResult<()> {
    let session = ctx.session()?;
    session.logout()?;
    ctx.end_session()?;
    written(emit(
        out,
        ctx.json,
        &serde_json::json!({ "logged_out": true }),
        |out| writeln!(out, "Logged out."),
    ))
}

/// `chat whoami`: the logged-in user.
pub fn whoami(ctx: &mut Context, out: &mut dyn Write) -> CliResult<()> {
    let user = ctx.session()?.me()?;
    ctx.remember_username(&user.username);
    written(emit(out, ctx.json, &user, |out| {
        let name = format!("{} {}", user.first_name, user.last_name);
        let name = name.trim();
        if name.is_empty() {
            writeln!(out, "{} <{}> (user {})", user.username, user.email, user.id)
        } else {
            writeln!(
                out,
                "{} <{}> (user {}), {name}",
                user.username, user.email, user.id
            )
        }
    }))
}
