//! The shell behaves like one (sqlite3, psql are the bar): Ctrl-C cancels a
//! prompt and nothing more, `help` is the shell's, hints are written for
//! the shell, Tab completes options and other people, a failing script line
//! is named, and a too-short new password is refused at once.

mod common;

use common::{PASSWORD, World, json};
use predicates::prelude::*;

/// ann, anna and bob; a thread between ann and bob with two messages; nobody logged in.
fn people() -> World {
    let world = World::new();
    world.register("anna");
    world.register("bob");
    world.register("ann");
    world.ok_json(&["send", "--to", "bob", "first"]);
    world.ok_json(&["send", "--to", "bob", "second"]);
    world.ok_json(&["logout"]);
    world
}

#[test]
fn a_failing_script_line_is_named_by_its_number() {
    let world = people();
    // Line 2 is the password, read by line 1: it is counted all the same.
    let script = format!(
        "chat login --email ann@example.com --password-stdin\n\
         {PASSWORD}\n\
         # a comment\n\
         messages 99\n\
         unread\n"
    );
    world
        .chat()
        .write_stdin(script.clone())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0 unread messages."))
        .stderr(predicate::str::starts_with(
            "line 4: error: thread 99 not found",
        ));
    let out = world
        .chat()
        .arg("--json")
        .write_stdin("whoami\nfrobnicate\n")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let error = json(&out);
    assert_eq!(error["error"]["code"], "usage", "{error}");
    assert_eq!(error["error"]["line"], 2, "{error}");
}

#[test]
fn a_pasted_one_shot_line_and_help_work_in_a_script() {
    let world = people();
    world.login("ann");
    let out = world
        .chat()
        .write_stdin("chat unread\nhelp\nhelp send\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("0 unread messages."), "{out}");
    assert!(out.contains("help [COMMAND]"), "{out}");
    assert!(out.contains("Usage: send"), "{out}");
    assert!(!out.contains("Usage: chat"), "{out}");
    assert!(!out.contains("  chat send"), "{out}");
    world
        .chat()
        .write_stdin("help frobnicate\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 1: error: \"frobnicate\" is not a command",
        ));
}

#[cfg(unix)]
mod terminal {
    use super::*;
    use rexpect::process::wait::WaitStatus;
    use rexpect::session::{PtySession, spawn_command};
    use std::process::Command;

    /// `chat ARGS` in a pseudo-terminal, started by dash (which, unlike
    /// bash, does not put the terminal back after a program), with echo on
    /// first; when `chat` ends, dash prints its exit code and `stty -a`.
    fn spawn(world: &World, args: &str) -> PtySession {
        let chat = world.chat().get_program().to_owned();
        let shell = if std::path::Path::new("/bin/dash").exists() {
            "/bin/dash"
        } else {
            "/bin/sh"
        };
        let mut command = Command::new(shell);
        command
            .arg("-c")
            .arg(format!(
                "stty echo; \"$0\" {args}; echo \"chat exited $?\"; stty -a"
            ))
            .arg(chat);
        for (key, value) in world.chat().get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command.env("TERM", "xterm");
        spawn_command(command, Some(15_000)).expect("spawn chat in a pty")
    }

    /// After `chat` has ended: its exit code, and the terminal has echo on.
    fn ended_with_echo_on(mut p: PtySession, code: i32) {
        p.exp_string(&format!("chat exited {code}")).unwrap();
        // `stty -a` lists the flag as `echo`, or `-echo` when it is off.
        let (_, flag) = p.exp_regex(r"[\s-]echo\s").unwrap();
        assert!(!flag.starts_with('-'), "echo is off after chat: {flag:?}");
        p.exp_eof().unwrap();
        match p.process().wait().unwrap() {
            WaitStatus::Exited(_, 0) => {}
            other => panic!("dash ended with {other:?}"),
        }
    }

    fn cyd_does_not_exist(world: &World) {
        world.login("ann");
        let found = world.ok_json(&["users", "cyd"]).to_string();
        assert!(!found.contains("cyd@example.com"), "{found}");
    }

    #[test]
    fn ctrl_c_at_a_prompt_cancels_that_command_and_the_shell_goes_on() {
        let world = people();
        let mut p = spawn(&world, "");
        p.exp_string("chat> ").unwrap();

        // Ctrl-C at the password prompt of login.
        p.send_line("login --email ann@example.com").unwrap();
        p.exp_string("Password: ").unwrap();
        p.send("half a passw").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_string("chat> ").unwrap();
        // The shell is alive, and what is typed shows.
        p.send_line("users bo").unwrap();
        p.exp_string("users bo").unwrap();
        p.exp_string("not logged in").unwrap();
        p.exp_string("chat> ").unwrap();

        // The same at register's prompts, first and second.
        p.send_line("register --email cyd@example.com --username cyd")
            .unwrap();
        p.exp_string("Password: ").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_string("chat> ").unwrap();
        p.send_line("register --email cyd@example.com --username cyd")
            .unwrap();
        p.exp_string("Password: ").unwrap();
        p.send_line(PASSWORD).unwrap();
        p.exp_string("Repeat the password: ").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_string("chat> ").unwrap();

        // Log in for real, then Ctrl-C at delete's [y/N].
        p.send_line("login --email ann@example.com").unwrap();
        p.exp_string("Password: ").unwrap();
        p.send_line(PASSWORD).unwrap();
        p.exp_string("chat (ann)> ").unwrap();
        p.send_line("delete 1").unwrap();
        p.exp_string("[y/N]").unwrap();
        p.send("y").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("cancelled").unwrap();
        p.exp_string("chat (ann)> ").unwrap();
        p.send_line("whoami").unwrap();
        p.exp_string("ann <ann@example.com>").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        p.send_line("exit").unwrap();
        ended_with_echo_on(p, 0);
        // Nothing was changed by the cancelled commands.
        assert_eq!(
            world.ok_json(&["messages", "1"])["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        cyd_does_not_exist(&world);
    }

    #[test]
    fn ctrl_c_at_a_one_shot_password_prompt_leaves_echo_on() {
        let world = people();
        let mut p = spawn(&world, "login --email ann@example.com");
        p.exp_string("Password: ").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("cancelled").unwrap();
        ended_with_echo_on(p, 1);
        world.err_code(&["whoami"], 1);
    }

    #[test]
    fn a_short_new_password_is_refused_before_it_is_asked_again() {
        let world = people();
        let mut p = spawn(&world, "register --email cyd@example.com --username cyd");
        p.exp_string("Password: ").unwrap();
        p.send_line("short").unwrap();
        let before = p.exp_string("at least 8 characters").unwrap();
        assert!(!before.contains("Repeat"), "{before}");
        ended_with_echo_on(p, 1);
        cyd_does_not_exist(&world);
    }

    #[test]
    fn help_hints_and_completion_are_the_shells() {
        let world = people();
        world.login("ann");
        let mut p = spawn(&world, "");
        p.exp_string("chat (ann)> ").unwrap();

        p.send_line("help").unwrap();
        let (help, _) = p.exp_regex("Ctrl-D +leave the shell").unwrap();
        for word in [
            "help [COMMAND]",
            "exit, quit",
            "Tab",
            "Ctrl-C",
            "set-password",
        ] {
            assert!(help.contains(word), "{word} missing from:\n{help}");
        }
        for word in ["Usage: chat", "--db", "completions"] {
            assert!(!help.contains(word), "{word} in:\n{help}");
        }
        p.exp_string("chat (ann)> ").unwrap();
        p.send_line("help messages").unwrap();
        let (help, _) = p.exp_string("Usage: messages").map(|s| (s, ())).unwrap();
        assert!(!help.contains("chat messages"), "{help}");
        p.exp_string("chat (ann)> ").unwrap();

        // `an` + Tab: ann is the user themself, so only anna is offered.
        p.send("open an\t").unwrap();
        p.send_line("").unwrap();
        p.exp_string("Thread 2 with anna (new)").unwrap();
        // The hint is written for the shell.
        let (_, hint) = p.exp_regex(r"Send with: \S+ \S+").unwrap();
        assert_eq!(hint, "Send with: send 2", "{hint}");
        p.exp_string("chat (ann)> ").unwrap();

        p.send("send --to an\t").unwrap();
        p.send_line(" hello").unwrap();
        p.exp_string("Sent message 3 in thread 2.").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        // Options complete from the grammar of the command typed.
        p.send("messages 1 --li\t").unwrap();
        p.send_line(" 1").unwrap();
        p.exp_string("second").unwrap();
        let (_, hint) = p.exp_regex(r"Older: \S+").unwrap();
        assert_eq!(hint, "Older: messages", "{hint}");
        p.exp_string("chat (ann)> ").unwrap();

        // A pasted one-shot command runs.
        p.send_line("chat whoami").unwrap();
        p.exp_string("ann <ann@example.com>").unwrap();
        p.exp_string("chat (ann)> ").unwrap();

        p.send_control('d').unwrap();
        ended_with_echo_on(p, 0);
    }
}
