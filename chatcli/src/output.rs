//! The one printer: human text or one JSON value per command; errors likewise.
//!
//! Everything printed for people passes through [`escape`]: control
//! characters, bidirectional overrides and the other invisible characters
//! that could move, hide or overwrite text on a terminal are shown as
//! visible escapes (`\r`, `\u{202E}`). JSON keeps the exact text.

use crate::error::CliError;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

pub use crate::table::{table, table_within, terminal_width};

/// Whether `c` is printed escaped for people.
///
/// Escaped: every control character (C0, DEL, C1: they move the cursor, clear
/// the screen or start escape sequences), the line and paragraph separators,
/// the interlinear annotation characters (they hide text), and every Unicode
/// default-ignorable code point (the bidirectional marks, embeddings,
/// overrides and isolates U+061C, U+200E/F, U+202A–E, U+2066–9; zero-width
/// spaces, joiners at word level, the BOM, soft hyphen, Hangul fillers,
/// tags …), which a terminal draws as nothing or uses to reorder what
/// follows. Kept: the zero-width (non-)joiner U+200C/U+200D and the
/// variation selectors, without which emoji and several scripts are drawn
/// wrong; they only shape the characters around them.
fn needs_escape(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'
            | '\u{200E}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E00FF}'
            | '\u{E01F0}'..='\u{E0FFF}'
    )
}

/// `text` as it is shown to people: each character that `needs_escape` selects
/// written as `\t`, `\n`, `\r` or `\u{HEX}` (upper-case hex), everything
/// else as is. The result is one line and holds nothing a terminal acts on;
/// escaping it again changes nothing. A backslash is not doubled: a typed
/// `\r` and an escaped carriage return look alike, and neither can move text.
///
/// Every human-readable output of `chat` goes through this function.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut shown, c);
    }
    Cow::Owned(shown)
}

fn push_escaped(shown: &mut String, c: char) {
    match c {
        '\t' => shown.push_str("\\t"),
        '\n' => shown.push_str("\\n"),
        '\r' => shown.push_str("\\r"),
        c if needs_escape(c) => shown.push_str(&format!("\\u{{{:X}}}", c as u32)),
        c => shown.push(c),
    }
}

/// Writes `text` for people: each line (split at `\n`) through [`escape`],
/// so the only line breaks are the ones between lines.
pub fn write_human(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(escape(line).as_bytes())?;
    }
    Ok(())
}

/// Runs `human` into a buffer and writes what it wrote through [`write_human`].
pub fn human(
    out: &mut dyn Write,
    human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    human(&mut buffer)?;
    write_human(out, &String::from_utf8_lossy(&buffer))
}

/// Writes a command's result as JSON (`json`) or as text for people
/// (through [`human`], so escaped).
///
/// `human` is only called in human mode.
pub fn emit<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    json: bool,
    value: &T,
    human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
        writeln!(out)
    } else {
        self::human(out, human)
    }
}

/// Writes an error: `{"error":{"code":…,"message":…}}` in JSON mode, else
/// `error: …` on one line, escaped.
pub fn emit_error(err: &mut dyn Write, json: bool, error: &CliError) -> io::Result<()> {
    write_error(err, json, error.code(), &error.to_string())
}

/// Writes an error given as code and message.
pub fn write_error(err: &mut dyn Write, json: bool, code: &str, message: &str) -> io::Result<()> {
    if json {
        let value = serde_json::json!({ "error": { "code": code, "message": message } });
        writeln!(err, "{value}")
    } else {
        // Each line escaped: an error of several lines (such as the
        // candidates of an ambiguous user) keeps its lines, and no line
        // can move the cursor or pose as something else.
        err.write_all(b"error: ")?;
        write_human(err, message)?;
        writeln!(err)
    }
}

/// Writes a usage error from clap. In JSON: `message` is clap's error on
/// one line (with its tips), `usage` the command's usage line(s) when clap
/// gives them; the "For more information" line is dropped. For people:
/// clap's text, each line escaped (it quotes the arguments it refuses).
pub fn write_usage_error(err: &mut dyn Write, json: bool, clap_text: &str) -> io::Result<()> {
    if !json {
        write_human(err, clap_text.trim_end())?;
        return writeln!(err);
    }
    let (message, usage) = split_usage_error(clap_text);
    let mut error = serde_json::json!({ "code": "usage", "message": message });
    if let Some(usage) = usage {
        error["usage"] = usage.into();
    }
    writeln!(err, "{}", serde_json::json!({ "error": error }))
}

/// clap's rendered error as (one-line message, usage): paragraphs are
/// separated by blank lines; the first is the error, `tip:` ones are
/// appended to it, the `Usage:` one is the usage.
fn split_usage_error(text: &str) -> (String, Option<String>) {
    let one_line = |paragraph: &str| paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut message = String::new();
    let mut usage = None;
    for paragraph in text.trim().split("\n\n") {
        let trimmed = paragraph.trim();
        if let Some(rest) = trimmed.strip_prefix("Usage:") {
            let lines: Vec<&str> = rest.lines().map(str::trim).collect();
            usage = Some(lines.join("\n"));
        } else if let Some(tip) = trimmed.strip_prefix("tip:") {
            message.push_str(&format!(" (tip: {})", one_line(tip)));
        } else if message.is_empty() {
            let first = trimmed.strip_prefix("error:").unwrap_or(trimmed);
            message = one_line(first);
        }
        // Anything else ("For more information, try '--help'.") is dropped.
    }
    if message.is_empty() {
        message = "the command line could not be understood".to_string();
    }
    (message, usage)
}

/// `text` cut to at most `max` characters as shown, on one line (line
/// breaks and the rest shown through [`escape`]), with `…` when cut; an
/// escape is never cut in half.
pub fn preview(text: &str, max: usize) -> String {
    let shown = escape(text);
    if shown.chars().count() <= max {
        return shown.into_owned();
    }
    let mut cut = String::new();
    let mut count = 0;
    for c in text.chars() {
        let mut unit = String::new();
        push_escaped(&mut unit, c);
        let len = unit.chars().count();
        if count + len + 1 > max {
            break;
        }
        cut.push_str(&unit);
        count += len;
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_cuts_long_text_and_shows_newlines_escaped() {
        assert_eq!(preview("a\nb", 10), "a\\nb");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
        assert_eq!(preview("abcde", 5), "abcde");
        // An escape is kept whole or left out, never cut in half.
        assert_eq!(preview("ab\u{202E}cdef", 8), "ab…");
        assert_eq!(preview("ab\u{202E}cdef", 12), "ab\\u{202E}c…");
    }

    #[test]
    fn escape_shows_controls_and_invisible_format_characters() {
        assert_eq!(escape("plain zoë 😀"), "plain zoë 😀");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\rb\nc\td"), "a\\rb\\nc\\td");
        assert_eq!(escape("\u{1b}[2J"), "\\u{1B}[2J");
        assert_eq!(escape("\u{7f}\u{85}\0"), "\\u{7F}\\u{85}\\u{0}");
        for bidi in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let shown = escape(&format!("x{bidi}y")).into_owned();
            assert_eq!(shown, format!("x\\u{{{:X}}}y", bidi as u32));
        }
        for hidden in [
            '\u{200B}',
            '\u{2028}',
            '\u{2029}',
            '\u{FEFF}',
            '\u{E0041}',
            '\u{3164}',
            '\u{FFF9}',
        ] {
            assert!(
                escape(&hidden.to_string()).starts_with("\\u{"),
                "{hidden:?}"
            );
        }
        // Joiners and variation selectors shape emoji and scripts: kept.
        for kept in ["👨\u{200D}👩", "❤\u{FE0F}", "می\u{200C}خواهم"] {
            assert_eq!(escape(kept), kept);
        }
        // The result holds nothing to escape: escaping is idempotent.
        let once = escape("\r\u{202E}\u{1b}x").into_owned();
        assert_eq!(escape(&once), once);
    }

    #[test]
    fn human_text_keeps_its_own_line_breaks_only_between_lines() {
        let mut out = Vec::new();
        human(&mut out, |out| writeln!(out, "one\r\u{202E}\ntwo")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "one\\r\\u{202E}\ntwo\n");
    }

    #[test]
    fn a_usage_error_is_one_line_with_the_usage_apart() {
        let clap = "error: the following required arguments were not provided:\n  <USER>\n\n\
                    Usage: chat open <USER>\n\nFor more information, try '--help'.\n";
        let (message, usage) = split_usage_error(clap);
        assert_eq!(
            message,
            "the following required arguments were not provided: <USER>"
        );
        assert_eq!(usage.as_deref(), Some("chat open <USER>"));
        let clap = "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, \
                    use '-- --bogus'\n\nUsage: chat users [OPTIONS] [QUERY]\n\nFor more information, try '--help'.\n";
        let (message, usage) = split_usage_error(clap);
        assert_eq!(
            message,
            "unexpected argument '--bogus' found (tip: to pass '--bogus' as a value, use '-- --bogus')"
        );
        assert_eq!(usage.as_deref(), Some("chat users [OPTIONS] [QUERY]"));
    }

    #[test]
    fn json_errors_have_code_and_message() {
        let mut out = Vec::new();
        emit_error(&mut out, true, &CliError::NotLoggedIn).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["error"]["code"], "not_logged_in");
        assert!(
            value["error"]["message"]
                .as_str()
                .unwrap()
                .contains("chat login")
        );
    }
}
