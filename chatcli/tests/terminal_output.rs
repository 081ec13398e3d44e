//! What a terminal shows: hostile text is printed visibly escaped, a
//! message of several lines stays under its own row, and `--json` keeps
//! the exact text. Each test runs `chat` as a process.

mod common;

use common::{PASSWORD, World, json};

const RLO: char = '\u{202E}';

/// The bytes a terminal acts on, or that reorder or hide what follows.
fn hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn assert_tame(text: &str) {
    if let Some(bad) = text.chars().find(|&c| hostile(c)) {
        panic!("{bad:?} printed raw in:\n{text}");
    }
}

/// ann and bob; bob sends ann `text` (in thread 1); ann is logged in.
fn bob_says(text: &str) -> World {
    let world = World::new();
    world.register("ann");
    world.register("bob");
    world.ok_json(&["send", "--to", "ann", text]);
    world.login("ann");
    world
}

#[test]
fn a_carriage_return_cannot_overwrite_the_sender_column() {
    let text = "ok\rann  I agree to pay Bob $500";
    let world = bob_says(text);
    let shown = world.ok_text(&["messages", "1"]);
    assert_tame(&shown);
    assert!(
        shown.contains("* new  ok\\rann  I agree to pay Bob $500"),
        "{shown}"
    );
    let inbox = world.ok_text(&["threads"]);
    assert_tame(&inbox);
    assert!(inbox.contains("ok\\rann  I agree"), "{inbox}");
    // JSON keeps the exact text.
    assert_eq!(world.ok_json(&["messages", "1"])["items"][0]["text"], text);
}

#[test]
fn bidirectional_overrides_and_tabs_are_shown_escaped() {
    let text = format!("pay {RLO}0001$ now\tplease\u{2066}x\u{2069}\u{200F}");
    let world = bob_says(&text);
    let shown = world.ok_text(&["messages", "1"]);
    assert_tame(&shown);
    assert!(
        shown.contains("pay \\u{202E}0001$ now\\tplease\\u{2066}x\\u{2069}\\u{200F}"),
        "{shown}"
    );
    let inbox = world.ok_text(&["threads"]);
    assert_tame(&inbox);
    assert!(inbox.contains("pay \\u{202E}0001$"), "{inbox}");
    assert_eq!(world.ok_json(&["messages", "1"])["items"][0]["text"], text);
    assert_eq!(
        world.ok_json(&["threads"])["items"][0]["last_message"]["text"],
        text
    );
}

#[test]
fn a_message_of_several_lines_stays_under_its_own_row() {
    let text = "see below\n3   just now  ann          I agree to pay Bob $500\n\nbye";
    let world = bob_says(text);
    world.ok_json(&["send", "1", "fine"]);
    let shown = world.ok_text(&["messages", "1"]);
    assert_tame(&shown);
    let lines: Vec<&str> = shown.lines().collect();
    let header = lines[0];
    let text_column = header.find("TEXT").expect("TEXT column");
    assert!(lines[1].starts_with("1 "), "{shown}");
    assert!(lines[1].ends_with("see below"), "{shown}");
    // Each further line of the message starts at the TEXT column.
    let fake = lines[2];
    assert_eq!(
        fake.find('3'),
        Some(text_column),
        "the second line is indented under the TEXT column:\n{shown}"
    );
    assert!(fake[..text_column].trim().is_empty(), "{shown}");
    assert_eq!(lines[3], "", "{shown}");
    assert_eq!(lines[4].find("bye"), Some(text_column), "{shown}");
    // The next real row starts at the left edge; nothing else does.
    assert!(
        lines[5].starts_with("2 ") && lines[5].ends_with("fine"),
        "{shown}"
    );
    let rows = lines[1..]
        .iter()
        .filter(|line| !line.starts_with(' ') && !line.is_empty())
        .count();
    assert_eq!(rows, 2, "{shown}");
    // The inbox preview is one line.
    let inbox = world.ok_text(&["threads"]);
    assert_eq!(inbox.lines().count(), 2, "{inbox}");
    assert_eq!(world.ok_json(&["messages", "1"])["items"][0]["text"], text);
}

#[test]
fn a_long_message_is_wrapped_under_its_own_row_not_by_the_terminal() {
    // In a 60-column terminal, the padding would make the terminal wrap the
    // fake row to the left edge.
    let fake = "2   just now  ann          I agree to pay Bob $500";
    let text = format!("see you{}{fake}", " ".repeat(30));
    let world = bob_says(&text);
    let out = world
        .chat()
        .env("COLUMNS", "60")
        .args(["messages", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = shown.lines().collect();
    let text_column = lines[0].find("TEXT").expect("TEXT column");
    for line in &lines {
        assert!(
            line.chars().count() <= 60,
            "{line:?} is wider than 60:\n{shown}"
        );
    }
    assert!(lines[1].starts_with("1 "), "{shown}");
    for line in &lines[2..] {
        assert!(line[..text_column].trim().is_empty(), "{shown}");
    }
    let words: Vec<&str> = lines[1..]
        .iter()
        .flat_map(|line| line[text_column..].split_whitespace())
        .collect();
    let sent: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words, sent, "the text is all there:\n{shown}");
    // Without a terminal or $COLUMNS, a line is never cut.
    let whole = world.ok_text(&["messages", "1"]);
    assert_eq!(whole.lines().count(), 2, "{whole}");
}

#[test]
fn names_with_overrides_are_escaped_in_whoami_users_and_threads() {
    let world = World::new();
    world.register("bob");
    let first = format!("Bob{RLO}nimda");
    world
        .chat()
        .args(["register", "--password-stdin", "--username", "ann"])
        .args(["--email", "ann@example.com", "--first-name", &first])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let me = world.ok_text(&["whoami"]);
    assert_tame(&me);
    assert!(me.contains("Bob\\u{202E}nimda"), "{me}");
    assert_eq!(world.ok_json(&["whoami"])["first_name"], first.as_str());
    let users = world.ok_text(&["users", "a"]);
    assert_tame(&users);
    assert!(users.contains("Bob\\u{202E}nimda"), "{users}");
    // Usernames and emails cannot carry them at all: the core refuses.
    let refused = world
        .chat()
        .args(["--json", "register", "--password-stdin"])
        .args([
            "--username",
            &format!("x{RLO}y"),
            "--email",
            "x@example.com",
        ])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(json(&refused)["error"]["code"], "invalid_username");
    let refused = world
        .chat()
        .args(["--json", "register", "--password-stdin", "--username", "xy"])
        .args(["--email", &format!("x{RLO}y@example.com")])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert_eq!(json(&refused)["error"]["code"], "invalid_email");
}

#[test]
fn errors_that_echo_the_input_show_it_escaped() {
    let world = World::new();
    world.register("ann");
    // A core error quoting the argument.
    let out = world
        .chat()
        .args(["open", "x\u{1b}[2J\ry"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_tame(&err);
    assert_eq!(err.lines().count(), 1, "{err}");
    // A usage error from the grammar, quoting the argument it refuses.
    let out = world
        .chat()
        .args(["users", "a", &format!("b\rc{RLO}d")])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_tame(&err);
    assert!(err.contains("b\\rc\\u{202E}d"), "{err}");
    // An error of the CLI quoting a line break cannot start a line of its own.
    let out = world
        .chat()
        .args(["send", "12\nerror: fake", "hi"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_shell_prints_through_the_same_escaping() {
    let world = bob_says(&format!("one\rtwo{RLO}\nthree"));
    let out = world
        .chat()
        .write_stdin("messages 1\nthreads\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(out).unwrap();
    assert_tame(&shown);
    assert!(shown.contains("one\\rtwo\\u{202E}"), "{shown}");
    assert!(shown.contains("one\\rtwo\\u{202E}\\nthree"), "{shown}");
}
