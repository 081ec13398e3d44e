//! `chat edit`, `chat unsend` and `chat clear` (issue 17), each a new
//! `chat` process, and the same commands in the shell.

mod common;

use common::{PASSWORD, World};
use serde_json::Value;

/// bob then ann registered (ann logged in), and ann's first message to bob.
fn conversation() -> (World, Value) {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let sent = world.ok_json(&["send", "--to", "bob", "see", "you", "at", "8"]);
    (world, sent)
}

fn items(world: &World, thread: &str) -> Vec<Value> {
    world.ok_json(&["messages", thread])["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn edit_shows_the_new_text_marked_edited_for_both() {
    let (world, sent) = conversation();
    let id = sent["id"].to_string();
    let thread = sent["thread_id"].to_string();
    let edited = world.ok_json(&["edit", &id, "see", "you", "at", "9"]);
    assert_eq!(edited["id"], sent["id"]);
    assert_eq!(edited["text"], "see you at 9");
    assert!(edited["edited_at"].is_string(), "{edited}");
    assert!(edited["deleted_at"].is_null(), "{edited}");
    let human = world.ok_text(&["edit", &id, "see you at 10"]);
    assert!(human.starts_with("Edited message "), "{human}");
    world.login("bob");
    let history = world.ok_text(&["messages", &thread]);
    assert!(history.contains("see you at 10 (edited)"), "{history}");
    assert_eq!(world.err_code(&["edit", &id, "mine now"], 1), "not_sender");
    assert_eq!(
        world.err_code(&["edit", "999", "x"], 1),
        "message_not_found"
    );
    assert_eq!(world.err_code(&["edit", &id], 2), "usage");
    assert_eq!(items(&world, &thread)[0]["text"], "see you at 10");
}

#[test]
fn unsend_asks_off_a_terminal_for_yes_and_leaves_message_withdrawn() {
    let (world, sent) = conversation();
    let id = sent["id"].to_string();
    let thread = sent["thread_id"].to_string();
    world.ok_json(&["send", &thread, "still here"]);
    // Standard input is not a terminal here: --yes is required.
    assert_eq!(world.err_code(&["unsend", &id], 2), "usage");
    assert_eq!(items(&world, &thread)[0]["text"], "see you at 8");
    world.login("bob");
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 2);
    assert_eq!(world.err_code(&["unsend", &id, "--yes"], 1), "not_sender");
    world.login("ann");
    let tomb = world.ok_json(&["unsend", &id, "--yes"]);
    assert_eq!(tomb["text"], "");
    assert!(tomb["deleted_at"].is_string(), "{tomb}");
    world.login("bob");
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 1);
    let history = world.ok_text(&["messages", &thread]);
    assert!(history.contains("message withdrawn"), "{history}");
    assert!(!history.contains("see you at 8"), "{history}");
    let page = items(&world, &thread);
    assert_eq!(page.len(), 2, "the tombstone keeps its place");
    assert!(page[0]["deleted_at"].is_string());
    world.login("ann");
    assert_eq!(
        world.err_code(&["edit", &id, "back"], 1),
        "invalid_argument"
    );
}

#[test]
fn clear_empties_my_view_only_until_a_new_message() {
    let (world, sent) = conversation();
    let thread = sent["thread_id"].to_string();
    world.login("bob");
    assert_eq!(world.err_code(&["clear", &thread], 2), "usage");
    assert_eq!(
        world.err_code(&["clear", "999", "--yes"], 1),
        "thread_not_found"
    );
    let cleared = world.ok_json(&["clear", &thread, "--yes"]);
    assert_eq!(cleared["cleared_through_id"], sent["id"]);
    assert!(items(&world, &thread).is_empty());
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 0);
    let inbox = world.ok_json(&["threads"]);
    assert!(inbox["items"].as_array().unwrap().is_empty(), "{inbox}");
    world.login("ann");
    assert_eq!(items(&world, &thread).len(), 1, "ann keeps her history");
    world.ok_json(&["send", &thread, "hello again"]);
    world.login("bob");
    let page = items(&world, &thread);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["text"], "hello again");
    assert_eq!(world.ok_json(&["unread"])["unread_count"], 1);
    let human = world.ok_text(&["clear", &thread, "--yes"]);
    assert!(human.starts_with("Cleared thread "), "{human}");
}

#[test]
fn the_shell_has_the_same_commands() {
    let (world, sent) = conversation();
    world.ok_json(&["logout"]);
    let id = sent["id"].to_string();
    let thread = sent["thread_id"].to_string();
    let script = format!(
        "login --email ann@example.com --password-stdin\n\
         {PASSWORD}\n\
         help\n\
         edit {id} at nine\n\
         messages {thread}\n\
         unsend {id} --yes\n\
         messages {thread}\n\
         clear {thread} --yes\n\
         messages {thread}\n"
    );
    let out = world.chat().write_stdin(script).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for command in ["edit", "unsend", "clear"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(command)),
            "help lists {command}:\n{stdout}"
        );
    }
    assert!(stdout.contains("at nine (edited)"), "{stdout}");
    assert!(stdout.contains("message withdrawn"), "{stdout}");
    assert!(stdout.contains("Cleared thread"), "{stdout}");
    assert!(stdout.trim_end().ends_with("No messages here."), "{stdout}");
}

mod terminal {
    use super::*;
    use rexpect::session::{PtySession, spawn_command};

    /// One-shot `chat ARGS…` on a pseudo-terminal, in this world's environment.
    fn on_a_terminal(world: &World, args: &[&str]) -> PtySession {
        let mut command = std::process::Command::new(world.chat().get_program());
        for (key, value) in world.chat().get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command.env("TERM", "xterm").args(args);
        spawn_command(command, Some(15_000)).expect("spawn chat in a pty")
    }

    #[test]
    fn unsend_and_clear_ask_on_a_terminal() {
        let (world, sent) = conversation();
        let id = sent["id"].to_string();
        let thread = sent["thread_id"].to_string();

        let mut p = on_a_terminal(&world, &["unsend", &id]);
        p.exp_string("Withdraw message").unwrap();
        p.exp_string("[y/N]").unwrap();
        p.send_line("n").unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_eof().unwrap();
        assert!(items(&world, &thread)[0]["deleted_at"].is_null());

        let mut p = on_a_terminal(&world, &["unsend", &id]);
        p.exp_string("[y/N]").unwrap();
        p.send_line("y").unwrap();
        p.exp_string("Withdrew message").unwrap();
        p.exp_eof().unwrap();
        assert!(items(&world, &thread)[0]["deleted_at"].is_string());

        world.login("bob");
        let mut p = on_a_terminal(&world, &["clear", &thread]);
        p.exp_string("with ann for you? ann keeps their history. [y/N]")
            .unwrap();
        p.send_line("yes").unwrap();
        p.exp_string("Cleared thread").unwrap();
        p.exp_eof().unwrap();
        assert!(items(&world, &thread).is_empty());
    }
}
