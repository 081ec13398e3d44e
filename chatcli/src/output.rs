//! The one printer: human text or one JSON value per command; errors likewise.

use crate::error::CliError;
use serde::Serialize;
use std::io::{self, Write};

/// Writes a command's result as JSON (`json`) or as text for people.
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
        human(out)
    }
}

/// Writes an error: `{"error":{"code":…,"message":…}}` in JSON mode, else `error: …`.
pub fn emit_error(err: &mut dyn Write, json: bool, error: &CliError) -> io::Result<()> {
    write_error(err, json, error.code(), &error.to_string())
}

/// Writes an error given as code and message (used for clap's usage errors too).
pub fn write_error(err: &mut dyn Write, json: bool, code: &str, message: &str) -> io::Result<()> {
    if json {
        let value = serde_json::json!({ "error": { "code": code, "message": message } });
        writeln!(err, "{value}")
    } else {
        writeln!(err, "error: {message}")
    }
}

/// Writes rows as aligned columns under a header; the last column is not padded.
pub fn table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `text` cut to at most `max` characters, on one line, with `…` when cut.
pub fn preview(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_by_characters() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["1".to_string(), "zoë".to_string(), "x".to_string()],
            vec!["10".to_string(), "bob".to_string(), "y".to_string()],
        ];
        table(&mut out, &["ID", "USER", "NOTE"], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "ID  USER  NOTE\n1   zoë   x\n10  bob   y\n");
    }

    #[test]
    fn preview_cuts_long_text_and_flattens_newlines() {
        assert_eq!(preview("a\nb", 10), "a b");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
        assert_eq!(preview("abcde", 5), "abcde");
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
