//! The REPL: through piped standard input and through a pseudo-terminal.

mod common;

use common::{PASSWORD, World};
use predicates::prelude::*;

/// ann and bob, a thread between them with one message from bob to ann; nobody logged in.
fn conversation() -> World {
    let world = World::new();
    world.register("ann");
    world.register("bob");
    world.ok_json(&["send", "--to", "ann", "lunch on Friday?"]);
    world.ok_json(&["logout"]);
    world
}

#[test]
fn piped_lines_run_with_the_one_shot_grammar_and_session_in_memory() {
    let world = conversation();
    let script = format!(
        "# a comment, then a login whose password is the next line\n\
         login --email ann@example.com --password-stdin\n\
         {PASSWORD}\n\
         whoami\n\
         unread\n\
         send --to bob \"yes, at noon\"\n\
         frobnicate\n\
         read --thread 1\n\
         unread\n"
    );
    let out = world
        .chat()
        .write_stdin(script)
        .assert()
        // The exit code is the last failing line's: frobnicate, a usage error.
        .code(2)
        .stderr(predicate::str::contains("frobnicate"))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let expected = [
        "Hello ann <ann@example.com>",
        "ann <ann@example.com>",
        "1 unread message.",
        "Sent message 2 in thread 1.",
        "Marked 1 message read in thread 1.",
        "0 unread messages.",
    ];
    let mut rest = out.as_str();
    for line in expected {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing, in order, from:\n{out}"));
        rest = &rest[at + line.len()..];
    }
    // The password line was consumed by login, never run as a command.
    assert!(!out.contains(PASSWORD));
}

#[test]
fn piped_json_and_exit() {
    let world = conversation();
    world.login("ann");
    let out = world
        .chat()
        .arg("--json")
        .write_stdin("unread\nthreads\nexit\nwhoami\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let values: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One value per command, and nothing after `exit`.
    assert_eq!(values.len(), 2, "{out}");
    assert_eq!(values[0]["unread_count"], 1);
    assert_eq!(values[1]["items"][0]["other"]["username"], "bob");
}

#[test]
fn piped_errors_continue_and_use_json_codes() {
    let world = conversation();
    world.login("ann");
    world
        .chat()
        .write_stdin("--json messages 99\nsend 1 \"unbalanced\n--db other.db whoami\nunread\n")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 unread message."))
        .stderr(predicate::str::contains("\"code\":\"thread_not_found\""))
        .stderr(predicate::str::contains("unbalanced quotes"))
        .stderr(predicate::str::contains(
            "the database is chosen when chat starts",
        ));
}

#[cfg(unix)]
mod terminal {
    use super::*;
    use rexpect::process::wait::WaitStatus;
    use rexpect::session::spawn_command;

    #[test]
    fn login_at_the_hidden_prompt_commands_ctrl_c_and_ctrl_d() {
        let world = conversation();
        let cmd = world.chat().get_program().to_owned();
        let mut command = std::process::Command::new(cmd);
        // Same environment as the one-shot processes of this world.
        for (key, value) in world.chat().get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command.env("TERM", "xterm");
        let mut p = spawn_command(command, Some(15_000)).expect("spawn chat in a pty");

        p.exp_string("Not logged in").unwrap();
        p.exp_string("chat> ").unwrap();
        p.send_line("login --email ann@example.com").unwrap();
        p.exp_string("Password: ").unwrap();
        p.send_line(PASSWORD).unwrap();
        p.exp_string("Hello ann").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        p.send_line("unread").unwrap();
        p.exp_string("1 unread message.").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        p.send_line("threads").unwrap();
        p.exp_string("* 1 new").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Ctrl-C drops the half-typed line; the next command runs alone.
        p.send("thread").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("chat (ann)> ").unwrap();
        p.send_line("whoami").unwrap();
        p.exp_string("ann <ann@example.com> (user 1)").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Tab completes a command name.
        p.send("unr\t").unwrap();
        p.send_line("").unwrap();
        p.exp_string("1 unread message.").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Tab completes a username after `open`.
        p.send("open b\t").unwrap();
        p.send_line("").unwrap();
        p.exp_string("Thread 1 with bob (existing)").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Delete asks on a terminal; "n" cancels.
        p.send_line("delete 1").unwrap();
        p.exp_string("[y/N]").unwrap();
        p.send_line("n").unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Ctrl-D leaves cleanly.
        p.send_control('d').unwrap();
        p.exp_eof().unwrap();
        match p.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => assert_eq!(code, 0),
            other => panic!("chat ended with {other:?}"),
        }

        // The thread is still there, the session outlived the shell, and the
        // history has the commands but never the password.
        world.ok_json(&["messages", "1"]);
        let history = world.home().join("data").join("chat").join("history.txt");
        let history = std::fs::read_to_string(&history).expect("history file");
        assert!(
            history.contains("login --email ann@example.com"),
            "{history}"
        );
        assert!(history.contains("unread"), "{history}");
        assert!(!history.contains(PASSWORD), "{history}");
    }
}
