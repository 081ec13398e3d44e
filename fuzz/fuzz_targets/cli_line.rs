//! Arbitrary text through the REPL's line parser.
//!
//! `chatcli` has no public function that only parses a line:
//! `chatcli::repl::run_line` parses *and runs* the command (opening the
//! database, writing files for `export`/`backup`, reading passwords), so it
//! is not fuzzed directly. This target repeats its parsing steps exactly
//! (chatcli/src/repl.rs, `run_line`): trim; skip empty lines, `#` comments,
//! `exit` and `quit`; split with `shlex::split` (None = unbalanced quotes);
//! parse with `Cli::try_parse_from(["chat", words...])`. A parse error is
//! rendered as the REPL would print it (help and version included).
//!
//! Checked: no panic in shlex, in clap's parsing (clap's debug assertions
//! on the grammar are on in fuzz builds) or in rendering an error.

#![no_main]

use chatcli::cli::Cli;
use clap::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line == "exit" || line == "quit" {
        return;
    }
    let Some(words) = shlex::split(line) else {
        return;
    };
    match Cli::try_parse_from(std::iter::once("chat".to_string()).chain(words)) {
        Ok(cli) => {
            let _ = format!("{cli:?}");
        }
        Err(err) => {
            let _ = err.kind();
            let _ = err.render().to_string();
        }
    }
});
