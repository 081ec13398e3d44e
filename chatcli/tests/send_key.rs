//! `chat send --key KEY`: a retried send (a new `chat` process each time)
//! shows the message already sent and stores nothing more.

mod common;

use common::World;

#[test]
fn a_retry_with_the_same_key_shows_the_first_message() {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let key = "6f1c2a52-0d4e-4f7b-9a53-3b1e8f2d9c10";
    let first = world.ok_json(&["send", "--key", key, "--to", "bob", "pay", "the", "rent"]);
    assert_eq!(first["created"], true);
    assert_eq!(first["text"], "pay the rent");
    let thread = first["thread_id"].to_string();

    // The retry by thread id, and by user: the same message, not created.
    let again = world.ok_json(&["send", "--key", key, &thread, "pay the rent"]);
    assert_eq!(again["created"], false);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["created_at"], first["created_at"]);
    let again = world.ok_json(&["send", "--to", "bob", "--key", key, "pay the rent"]);
    assert_eq!(again["id"], first["id"]);

    let human = world.ok_text(&["send", "--key", key, &thread, "pay the rent"]);
    assert!(human.starts_with("Already sent: message "), "{human}");
    let human = world.ok_text(&["send", "--key", "other", &thread, "pay the rent"]);
    assert!(human.starts_with("Sent message "), "{human}");

    let page = world.ok_json(&["messages", &thread]);
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    world.login("bob");
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 2);
}

#[test]
fn another_text_under_a_used_key_and_a_bad_key_are_refused() {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let first = world.ok_json(&["send", "--key", "k", "--to", "bob", "hello"]);
    let thread = first["thread_id"].to_string();
    assert_eq!(
        world.err_code(&["send", "--key", "k", &thread, "hello again"], 1),
        "invalid_argument"
    );
    let long = "k".repeat(65);
    assert_eq!(
        world.err_code(&["send", "--key", &long, &thread, "hi"], 1),
        "invalid_argument"
    );
    assert_eq!(
        world.err_code(&["send", "--key", "", &thread, "hi"], 1),
        "invalid_argument"
    );
    let page = world.ok_json(&["messages", &thread]);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}
