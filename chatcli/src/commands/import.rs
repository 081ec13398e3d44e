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

/// Accounts without a login named one by one in the summary; `--json`
/// lists them all.
const NAMED_ACCOUNTS: usize = 20;

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
            "{} cannot log in until a password is set:",
            plural(report.users_without_login, "account", "accounts"),
        )?;
        for account in report.accounts_without_login.iter().take(NAMED_ACCOUNTS) {
            writeln!(
                out,
                "  {} ({}, id {}): {}{}",
                account.username,
                account.email,
                account.user_id,
                account.reason.describe(),
                account
                    .detail
                    .as_deref()
                    .map(|detail| format!(" ({detail})"))
                    .unwrap_or_default()
            )?;
        }
        let unnamed = report
            .accounts_without_login
            .len()
            .saturating_sub(NAMED_ACCOUNTS);
        if unnamed > 0 {
            writeln!(
                out,
                "  … and {unnamed} more (chat --json import … lists them all)"
            )?;
        }
        writeln!(
            out,
            "Give one a password with: {}",
            hint::command("set-password USER")
        )?;
    }
    let with_login = report.users.saturating_sub(report.users_without_login);
    if !report.dry_run && with_login > 0 {
        let who = match report.users_without_login {
            0 => "They".to_string(),
            _ => format!("The other {}", plural(with_login, "account", "accounts")),
        };
        writeln!(
            out,
            "{who} log in with their old passwords: {}",
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
            accounts_without_login: vec![chatcore::AccountWithoutLogin {
                user_id: chatcore::UserId(7),
                username: "bert".into(),
                email: "bert@example.com".into(),
                reason: chatcore::NoLoginReason::UnusablePassword,
                detail: None,
            }],
            threads: 2,
            threads_merged: 1,
            messages: 3,
            skipped: [("auth.group".to_string(), 2)].into_iter().collect(),
            dry_run: true,
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
        assert!(
            text.contains("  bert (bert@example.com, id 7): unusable password in Django"),
            "{text}"
        );
        assert!(!text.contains("old passwords"), "{text}");
    }

    fn summary_of(report: &ImportReport) -> String {
        let mut text = Vec::new();
        summary(&mut text, report).unwrap();
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn the_old_passwords_line_speaks_only_of_accounts_that_have_one() {
        let mut report = ImportReport {
            users: 3,
            ..ImportReport::default()
        };
        let text = summary_of(&report);
        assert!(
            text.contains("They log in with their old passwords"),
            "{text}"
        );
        assert!(!text.contains("other"), "{text}");

        report.users_without_login = 1;
        let text = summary_of(&report);
        assert!(
            text.contains("The other 2 accounts log in with their old passwords"),
            "{text}"
        );

        report.users_without_login = 3;
        let text = summary_of(&report);
        assert!(!text.contains("old passwords"), "{text}");
    }

    #[test]
    fn many_accounts_without_login_are_named_up_to_a_limit() {
        let accounts: Vec<_> = (1..=25)
            .map(|id| chatcore::AccountWithoutLogin {
                user_id: chatcore::UserId(id),
                username: format!("u{id}"),
                email: format!("u{id}@example.com"),
                reason: chatcore::NoLoginReason::Inactive,
                detail: None,
            })
            .collect();
        let report = ImportReport {
            users: 25,
            users_without_login: 25,
            accounts_without_login: accounts,
            ..ImportReport::default()
        };
        let text = summary_of(&report);
        assert!(
            text.contains("  u20 (u20@example.com, id 20): inactive in Django"),
            "{text}"
        );
        assert!(!text.contains("u21"), "{text}");
        assert!(text.contains("… and 5 more"), "{text}");
        assert!(text.contains("chat set-password USER"), "{text}");
    }
}
