//! Tables for people: aligned columns, every cell escaped, and the last
//! column's long or multi-line text kept under that column.

use crate::output::escape;
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Writes rows as aligned columns under a header, for the width of the
/// terminal ([`terminal_width`]); see [`table_within`].
pub fn table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    table_within(out, header, rows, terminal_width())
}

/// The width in columns that tables are wrapped to: `$COLUMNS` when it is a
/// number, else the width of the terminal on standard output, else none (a
/// pipe or a file gets whole lines).
pub fn terminal_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|&columns| columns > 0);
    columns.or_else(|| {
        console::Term::stdout()
            .size_checked()
            .map(|(_, columns)| usize::from(columns))
    })
}

/// The fewest columns the last column is wrapped to, however narrow the
/// terminal.
const MIN_WRAP_COLUMNS: usize = 16;

/// Writes rows as aligned columns under a header; the last column is not
/// padded. Every cell is shown through [`escape`], and widths are counted
/// in terminal columns. The last cell of a row may hold several lines, and
/// with a `width` its lines are wrapped to fit: the first line goes in the
/// row, every further line on a line of its own indented to the last
/// column. So no line of a cell starts where a row does, and the terminal
/// never wraps a line itself (which would put text at the left edge).
pub fn table_within(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    width: Option<usize>,
) -> io::Result<()> {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let shown: Vec<Vec<Vec<String>>> = std::iter::once(&header)
        .chain(rows)
        .map(|row| {
            let last = row.len().saturating_sub(1);
            row.iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == last {
                        cell.split('\n')
                            .map(|line| escape(line).into_owned())
                            .collect()
                    } else {
                        vec![escape(cell).into_owned()]
                    }
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = vec![0; header.len()];
    for row in &shown {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell[0].width());
        }
    }
    for row in &shown {
        let Some((last, before)) = row.split_last() else {
            writeln!(out)?;
            continue;
        };
        let mut prefix = String::new();
        for (i, cell) in before.iter().enumerate() {
            prefix.push_str(&cell[0]);
            prefix.push_str(&" ".repeat(widths[i] - cell[0].width() + 2));
        }
        let indent = prefix.width();
        let columns = width.map(|width| width.saturating_sub(indent).max(MIN_WRAP_COLUMNS));
        let mut lines = last.iter().flat_map(|line| wrap(line, columns));
        let first = format!("{prefix}{}", lines.next().unwrap_or_default());
        writeln!(out, "{}", first.trim_end())?;
        for more in lines {
            let more = format!("{}{more}", " ".repeat(indent));
            writeln!(out, "{}", more.trim_end())?;
        }
    }
    Ok(())
}

/// `line` in pieces of at most `columns` terminal columns, broken after a
/// space where there is one (else anywhere); the whole line without `columns`.
fn wrap(line: &str, columns: Option<usize>) -> Vec<String> {
    let Some(columns) = columns else {
        return vec![line.to_string()];
    };
    let mut pieces = Vec::new();
    let mut rest = line;
    while rest.width() > columns {
        let (mut used, mut end, mut after_space) = (0, 0, None);
        for (i, c) in rest.char_indices() {
            let w = c.width().unwrap_or(0);
            if used + w > columns {
                break;
            }
            used += w;
            end = i + c.len_utf8();
            if c == ' ' {
                after_space = Some(end);
            }
        }
        if end == 0 {
            // One character wider than the columns: it goes alone.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let cut = after_space.unwrap_or(end);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = &rest[cut..];
    }
    pieces.push(rest.to_string());
    pieces
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
        table_within(&mut out, &["ID", "USER", "NOTE"], &rows, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "ID  USER  NOTE\n1   zoë   x\n10  bob   y\n");
    }

    #[test]
    fn a_multi_line_last_cell_is_indented_under_its_row() {
        let mut out = Vec::new();
        let rows = vec![
            vec![
                "7".to_string(),
                "bob".to_string(),
                "hi\n8  ann  fake\r".to_string(),
            ],
            vec!["9".to_string(), "ann".to_string(), "ok".to_string()],
        ];
        table_within(&mut out, &["ID", "FROM", "TEXT"], &rows, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "ID  FROM  TEXT\n7   bob   hi\n          8  ann  fake\\r\n9   ann   ok\n"
        );
    }

    #[test]
    fn the_last_column_is_wrapped_under_itself_to_the_width() {
        let mut out = Vec::new();
        let rows = vec![
            vec![
                "7".to_string(),
                "one two three four five six seven eight nine".to_string(),
            ],
            vec![
                "8".to_string(),
                "日本語のテキストはとても長いです".to_string(),
            ],
        ];
        table_within(&mut out, &["ID", "TEXT"], &rows, Some(20)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "ID  TEXT\n7   one two three\n    four five six\n    seven eight nine\n\
             8   日本語のテキスト\n    はとても長いです\n"
        );
        for line in text.lines() {
            assert!(line.width() <= 20, "{line:?}");
        }
        // However narrow, some room is left for the text.
        let mut out = Vec::new();
        let rows = vec![vec![
            "1".to_string(),
            "abcdefghijklmnopqrstuvwxyz".to_string(),
        ]];
        table_within(&mut out, &["ID", "TEXT"], &rows, Some(5)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID  TEXT\n1   abcdefghijklmnop\n    qrstuvwxyz\n"
        );
        assert_eq!(wrap("abc", None), ["abc"]);
    }

    #[test]
    fn table_widths_count_escaped_cells() {
        let mut out = Vec::new();
        let rows = vec![vec!["\u{202E}".to_string(), "x".to_string()]];
        table_within(&mut out, &["A", "B"], &rows, None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A         B\n\\u{202E}  x\n"
        );
    }
}
