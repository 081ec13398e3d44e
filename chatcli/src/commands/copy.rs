//! `copy --to TARGET`: the whole store into an empty store (a new file, an
//! empty store file, or a PostgreSQL database).

use super::export::shown_path;
use super::written;
use crate::cli::CopyArgs;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::emit;
use chatcore::{CopyProgress, CopyStage};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// `chat copy --to TARGET`: copies and verifies, with a progress bar on a
/// terminal's standard error.
pub fn run(ctx: &mut Context, args: &CopyArgs, out: &mut dyn Write) -> CliResult<()> {
    let store = ctx.store()?.clone();
    let progress = Progress::new(io::stderr().is_terminal());
    let result = store.copy_to(&args.to, |step| progress.show(step));
    progress.finish();
    let report = result?;
    let target = shown_target(&args.to);
    let value = serde_json::json!({ "copied": report, "to": target });
    written(emit(out, ctx.json, &value, |out| {
        writeln!(
            out,
            "Copied {} users, {} sessions, {} threads and {} messages from {} to {} \
             (counts and unread totals verified). Open it with: chat --db {}",
            report.users,
            report.sessions,
            report.threads,
            report.messages,
            ctx.db_path().display(),
            target,
            target
        )
    }))
}

/// How the target is named back: a file by its absolute path, a server
/// address with any password in it masked.
fn shown_target(target: &Path) -> String {
    let text = target.to_string_lossy();
    if let Some((scheme, rest)) = text.split_once("://") {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        return match authority.rsplit_once('@') {
            Some((credentials, host)) => match credentials.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
                None => text.into_owned(),
            },
            None => text.into_owned(),
        };
    }
    if text.contains("password=") {
        return text
            .split_whitespace()
            .map(|pair| match pair.split_once('=') {
                Some(("password", _)) => "password=***",
                _ => pair,
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    shown_path(target).display().to_string()
}

/// One bar per stage, or nothing when standard error is not a terminal.
struct Progress {
    bar: ProgressBar,
    stage: std::cell::Cell<Option<CopyStage>>,
}

impl Progress {
    fn new(stderr_is_terminal: bool) -> Progress {
        let bar = if stderr_is_terminal {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        // The template is constant; should it ever be refused, the default bar will do.
        if let Ok(style) =
            ProgressStyle::with_template("copying {msg:>10} [{wide_bar}] {pos}/{len}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            stage: std::cell::Cell::new(None),
        }
    }

    fn show(&self, step: &CopyProgress) {
        if self.stage.get() != Some(step.stage) {
            self.stage.set(Some(step.stage));
            self.bar.set_message(step.stage.label());
            self.bar.set_length(step.total);
        }
        self.bar.set_position(step.done);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::shown_target;
    use std::path::Path;

    #[test]
    fn a_password_in_the_target_is_never_shown() {
        assert_eq!(
            shown_target(Path::new(
                "postgres://ann:s3cret@db.example/chat?sslmode=require"
            )),
            "postgres://ann:***@db.example/chat?sslmode=require"
        );
        assert_eq!(
            shown_target(Path::new("host=db user=ann password=s3cret dbname=chat")),
            "host=db user=ann password=*** dbname=chat"
        );
        assert_eq!(
            shown_target(Path::new("postgres://ann:p@ss@db/chat?options=a@b")),
            "postgres://ann:***@db/chat?options=a@b"
        );
        assert_eq!(
            shown_target(Path::new("postgresql://db.example/chat")),
            "postgresql://db.example/chat"
        );
    }
}
