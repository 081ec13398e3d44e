//! A walk through the library on a database file: two users, a thread, a
//! conversation, history, read marks and unread counts.
//!
//! `cargo run -p chatcore --example walkthrough [PATH]` (default `chat-walkthrough.db`,
//! or `$CHAT_DB`). Running it again reuses the users and the thread.

use chatcore::{Error, MessageQuery, NewUser, Store, ThreadQuery};

fn main() -> Result<(), Error> {
    let path = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("CHAT_DB").ok())
        .unwrap_or_else(|| "chat-walkthrough.db".to_string());
    let store = Store::open(&path)?;
    println!("store: {path}");

    let ann = sign_in(&store, "ann@example.com", "ann", "ann-demo-password")?;
    let bob = sign_in(&store, "bob@example.com", "bob", "bob-demo-password")?;

    let (thread, created) = ann.create_thread(&[ann.user_id(), bob.user_id()])?;
    println!(
        "thread {} between ann and bob ({})",
        thread.id,
        if created { "created" } else { "already there" }
    );
    ann.send(thread.id, "Hi Bob, lunch today?")?;
    bob.send(thread.id, "Sure, 12:30 at the usual place.")?;
    ann.send(thread.id, "See you there.")?;
    println!("bob has {} unread", bob.unread_count()?);

    let page = bob.list_messages(
        thread.id,
        &MessageQuery {
            limit: Some(5),
            ..Default::default()
        },
    )?;
    println!("the last {} messages:", page.items.len());
    for message in &page.items {
        let who = if message.sender_id == ann.user_id() {
            "ann"
        } else {
            "bob"
        };
        let state = if message.read_at.is_some() {
            "read"
        } else {
            "unread"
        };
        println!("  #{} {who}: {} ({state})", message.id, message.text);
    }
    println!(
        "bob read {} messages",
        bob.mark_thread_read(thread.id, None)?
    );
    println!("bob has {} unread", bob.unread_count()?);

    match store.login("ann@example.com", "not her password") {
        Err(err) => println!("a wrong password is refused: {} ({})", err, err.code()),
        Ok(_) => println!("unexpected: a wrong password was accepted"),
    }
    let carol = sign_in(&store, "carol@example.com", "carol", "carol-demo-password")?;
    if let Err(err) = carol.send(thread.id, "let me in") {
        println!("carol is not in the thread: {} ({})", err, err.code());
    }
    for summary in ann.list_threads(&ThreadQuery::default())?.items {
        println!(
            "ann's inbox: thread {} with {}, {} unread",
            summary.thread.id, summary.other.username, summary.unread_count
        );
    }
    for session in [ann, bob, carol] {
        session.logout()?;
    }
    Ok(())
}

/// Registers the user unless the email is already taken, then logs in.
fn sign_in(
    store: &Store,
    email: &str,
    username: &str,
    password: &str,
) -> Result<chatcore::Session, Error> {
    match store.register(&NewUser {
        email,
        username,
        password,
        ..Default::default()
    }) {
        Ok(_) | Err(Error::EmailTaken) => {}
        Err(other) => return Err(other),
    }
    store.login(email, password)
}
