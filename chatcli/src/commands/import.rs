//! `import FILE [--dry-run]`: a Django `dumpdata` file into the store.

use super::written;
use crate::cli::ImportArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::hint;
use crate::output::emit;
use chatcore::ImportReport;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// Files smaller than this import in about a second: no progress bar.
pub const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// `chat import`: imports (or with `--dry-run` checks) a dumpdata file in
/// one transaction and summarises the report.
pub fn run(ctx: &mut Context, args: &ImportArgs, out: &mut dyn Write) -> CliResult<()> {
    let store = ctx.store()?.clone();
    let report = if args.file == Path::new("-") {
        if ctx.stdin_is_terminal() {
            return Err(CliError::Usage(format!(
                "standard input is a terminal: pipe the file in (chat import - < dump.json) \
                 or name it ({})",
                hint::command("import dump.json")
            )));
        }
        store.import_django(ctx.stdin(), args.dry_run)?
    } else {
        let file = File::open(&args.file)
            .map_err(|err| CliError::io(format!("cannot open {}", args.file.display()), err))?;
        // Without a size the bar would be useless anyway.
        let size = file.metadata().map(|meta| meta.len()).unwrap_or(0);
        let bar = progress_bar(size, io::stderr().is_terminal());
        let result = store.import_django(bar.wrap_read(file), args.dry_run);
        bar.finish_and_clear();
        result?
    };
    written(emit(out, ctx.json, &report, |out| summary(out, &report)))
}

/// A byte progress bar on standard error for a file of `size` bytes, hidden
/// unless the file is large and standard error is a terminal.
pub fn progress_bar(size: u64, stderr_is_terminal: bool) -> ProgressBar {
    if size < PROGRESS_MIN_BYTES || !stderr_is_terminal {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    // The template is constant; should it ever be refused, the default bar will do.
    if let Ok(style) =
        ProgressStyle::with_template("importing [{wide_bar}] {bytes}/{total_bytes}, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The report for people: what was (or would be) imported, what was
/// skipped, and who cannot log in yet.
fn summary(out: &mut dyn Write, report: &ImportReport) -> io::Result<()> {
    let counts = format!(
        "{}, {}, {}",
        plural(report.users, "user", "users"),
        plural(report.threads, "thread", "threads"),
        plural(report.messages, "message", "messages"),
    );
    if report.dry_run {
        writeln!(
            out,
            "Dry run: nothing was written. The import would add {counts}."
        )?;
    } else {
        writeln!(out, "Imported {counts}.")?;
    }
    if report.threads_merged > 0 {
        writeln!(
            out,
            "{} for a pair that already had one: their messages {} into the earlier thread.",
            plural(
                report.threads_merged,
                "thread was a duplicate",
                "threads were duplicates"
            ),
            if report.dry_run { "would go" } else { "went" },
        )?;
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|(model, count)| format!("{count} {model}"))
            .collect();
        writeln!(out, "Skipped (other models): {}.", skipped.join(", "))?;
    }
    if report.users_without_login > 0 {
        writeln!(
            out,
            "{} cannot log in until a password is set (unusable, inactive or refused).",
            plural(report.users_without_login, "account", "accounts"),
        )?;
    }
    for refused in &report.passwords_refused {
        writeln!(
            out,
            "Password hash refused (costs too much to check), set a new one with set-password: {refused}"
        )?;
    }
    if !report.dry_run && report.users > report.users_without_login {
        writeln!(
            out,
            "The others log in with their old passwords: {}",
            hint::command("login --email …")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_for_large_files_on_a_terminal() {
        // A hidden bar has no length; indicatif also hides a real one when
        // the test's stderr is not a terminal, so the length tells them apart.
        assert_eq!(progress_bar(PROGRESS_MIN_BYTES - 1, true).length(), None);
        assert_eq!(progress_bar(PROGRESS_MIN_BYTES, false).length(), None);
        assert_eq!(
            progress_bar(PROGRESS_MIN_BYTES, true).length(),
            Some(PROGRESS_MIN_BYTES)
        );
    }

    #[test]
    fn a_dry_run_says_nothing_was_written() {
        let report = ImportReport {
            users: 1,
            users_without_login: 1,
            threads: 2,
            threads_merged: 1,
            messages: 3,
            skipped: [("auth.group".to_string(), 2)].into_iter().collect(),
            dry_run: true,
            passwords_refused: Vec::new(),
        };
        let mut text = Vec::new();
        summary(&mut text, &report).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with(
                "Dry run: nothing was written. The import would add 1 user, 2 threads, 3 messages."
            ),
            "{text}"
        );
        assert!(text.contains("1 thread was a duplicate"), "{text}");
        assert!(
            text.contains("Skipped (other models): 2 auth.group."),
            "{text}"
        );
        assert!(text.contains("1 account cannot log in"), "{text}");
        assert!(!text.contains("old passwords"), "{text}");
    }
}
