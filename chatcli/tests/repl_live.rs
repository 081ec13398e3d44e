//! The shell's live lines, through a pseudo-terminal: a message another
//! `chat` process sends appears above the prompt while the shell waits for
//! input, and the line being typed survives it.

#![cfg(unix)]

mod common;

use common::{PASSWORD, World};
use rexpect::session::spawn_command;

#[test]
fn an_incoming_message_appears_above_the_prompt_and_the_typed_line_survives() {
    let world = World::new();
    world.register("bob");
    let bob_state = world.dir.path().join("bob-state");
    world
        .chat_with(&world.db(), &bob_state)
        .args(["login", "--password-stdin", "--email", "bob@example.com"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    world.register("ann");
    let thread = world.ok_json(&["open", "bob"])["id"].as_i64().unwrap();

    let shell = world.chat_with(&world.db(), &bob_state);
    let mut command = std::process::Command::new(shell.get_program());
    for (key, value) in shell.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command.env("TERM", "xterm");
    let mut p = spawn_command(command, Some(15_000)).expect("spawn chat in a pty");
    p.exp_string("Logged in as bob.").unwrap();
    p.exp_string("chat (bob)> ").unwrap();
    // Half a command typed, then ann writes from another process.
    p.send("whoa").unwrap();
    p.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    world.ok_json(&["send", &thread.to_string(), "ping from ann"]);
    p.exp_string(&format!("[thread {thread}] ann: ping from ann"))
        .unwrap();
    // The prompt and the half-typed line are drawn again below it.
    p.exp_string("chat (bob)> whoa").unwrap();
    p.send_line("mi").unwrap();
    p.exp_string("bob <bob@example.com>").unwrap();
    p.exp_string("chat (bob)> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}
