//! Arbitrary text through the REPL's line parser.
//!
//! `chatcli::repl::parse_line` is the shell's parser alone (the REPL runs
//! what it returns): trim; skip empty lines and `#` comments; split with
//! `shlex::split`; drop a leading `chat`; `exit`, `quit` and `help`; then the
//! shell's grammar. A parse error is rendered as the REPL would print it
//! (help and version included).
//!
//! Checked: no panic in shlex, in clap's parsing (clap's debug assertions
//! on the grammar are on in fuzz builds) or in rendering an error.

#![no_main]

use chatcli::repl::{Line, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    match parse_line(line) {
        Line::Command(cli) => {
            let _ = format!("{cli:?}");
        }
        Line::Clap(err) => {
            let _ = err.kind();
            let _ = err.render().to_string();
        }
        other => {
            let _ = format!("{other:?}");
        }
    }
});
