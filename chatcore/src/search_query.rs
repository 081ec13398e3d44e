//! The search query language (also `chatcore::search::query`): what people type, parsed into [`Term`]s that
//! any backend translates into its own full-text syntax (SQLite: an FTS5
//! `MATCH` expression of quoted strings; PostgreSQL later: a `tsquery`).
//!
//! The rules, decided here and nowhere else:
//! - whitespace separates words; each word matches whole words and words it
//!   is a prefix of (`meet` finds `meeting`), case and diacritics folded
//!   (the backend's tokenizer does the folding);
//! - text in double quotes is a phrase, matched word for word (an unclosed
//!   quote runs to the end of the query);
//! - a leading `-` excludes the word (or phrase) after it, as a whole word;
//! - a word written in a script without spaces between words (Chinese,
//!   Japanese, Thai, …: [`NO_SPACE_RANGES`]) of at least
//!   [`MIN_SUBSTRING_CHARS`] characters matches as a substring anywhere in a
//!   message; shorter, it matches as a word prefix (the start of a run of
//!   such characters);
//! - every other character is plain text: operators (`AND`, `OR`, `NOT`,
//!   `NEAR`) are words, punctuation (`*`, `(`, `^`, `:`, a lone `-`)
//!   separates words like a space does, and a word of punctuation alone is
//!   dropped;
//! - a query with no word left to find, only excluded words, more than
//!   [`MAX_QUERY_CHARS`] characters or more than [`MAX_TERMS`] words is
//!   refused with [`Error::InvalidArgument`] and a message for people.

use crate::error::{Error, Result};
use serde::Serialize;

/// The order of search hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchOrder {
    /// Most relevant first (bm25), newer first among equals.
    #[default]
    Relevance,
    /// Newest first.
    Recent,
}

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// The most words and phrases one query may have.
pub const MAX_TERMS: usize = 16;
/// The shortest text in a no-space script that matches as a substring.
pub const MIN_SUBSTRING_CHARS: usize = 3;

/// Character ranges of scripts written without spaces between words: Thai,
/// Lao, Myanmar, Khmer, the CJK ideographs with their extensions, kana and
/// bopomofo. A message with any of them is also indexed for substrings; a
/// query word with any of them matches as a substring. The backend builds
/// its "has such a character" test from this list when the schema is
/// created, so a change here needs a schema migration.
pub const NO_SPACE_RANGES: &[(char, char)] = &[
    ('\u{0E00}', '\u{0EFF}'),
    ('\u{1000}', '\u{109F}'),
    ('\u{1780}', '\u{17FF}'),
    ('\u{2E80}', '\u{2FDF}'),
    ('\u{3040}', '\u{31FF}'),
    ('\u{3400}', '\u{4DBF}'),
    ('\u{4E00}', '\u{9FFF}'),
    ('\u{F900}', '\u{FAFF}'),
    ('\u{FF66}', '\u{FF9F}'),
    ('\u{20000}', '\u{3134F}'),
];

/// Whether `c` belongs to a script written without spaces ([`NO_SPACE_RANGES`]).
pub fn is_no_space_char(c: char) -> bool {
    NO_SPACE_RANGES
        .iter()
        .any(|&(low, high)| (low..=high).contains(&c))
}

/// How a [`Term`] matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// Whole words, the last one also as a prefix (`meet` → `meeting`).
    Prefix,
    /// Whole words in this order, exactly (a quoted phrase, an excluded word).
    Phrase,
    /// A substring anywhere in the text (no-space scripts, ≥ 3 characters).
    Substring,
}

/// One word or phrase of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The text as typed (without quotes or the leading `-`); it holds at
    /// least one letter, digit or symbol. Backends quote it as a literal.
    pub text: String,
    /// How it matches.
    pub kind: TermKind,
    /// Whether messages matching it are left out.
    pub excluded: bool,
}

/// A parsed query: at least one term that is not excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// The terms, in the order typed; every one must match, no excluded one may.
    pub terms: Vec<Term>,
}

/// Whether a character can be part of a word the index holds: letters,
/// digits, marks and symbols (emoji), not spaces, controls or punctuation.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_alphanumeric() {
        return true;
    }
    if c.is_whitespace() || c.is_control() || c.is_ascii() {
        return false;
    }
    // General punctuation, CJK punctuation, full-width ASCII punctuation.
    !matches!(c,
        '\u{00A0}'..='\u{00BF}' | '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{303F}'
        | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' | '\u{FE30}'..='\u{FE4F}')
}

/// Parses what a person typed; see the module documentation for the rules.
///
/// # Errors
/// [`Error::InvalidArgument`] with a message for people.
pub fn parse(text: &str) -> Result<ParsedQuery> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(Error::InvalidArgument(format!(
            "the search has {chars} characters; the limit is {MAX_QUERY_CHARS}"
        )));
    }
    if text
        .trim_matches(|c: char| c.is_whitespace() || c.is_control())
        .is_empty()
    {
        return Err(Error::InvalidArgument(
            "the search is empty; type a word to find".to_string(),
        ));
    }
    // Control characters (NUL, the snippet markers) are never in a message:
    // they separate words like a space.
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut terms = Vec::new();
    let mut rest = cleaned.as_str();
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else {
            break;
        };
        let (excluded, after_dash) = match rest.strip_prefix('-') {
            Some(tail) if tail.starts_with(|c: char| !c.is_whitespace()) => (true, tail),
            _ => (false, rest),
        };
        let (piece, quoted, tail) = match after_dash.strip_prefix('"') {
            Some(inner) => match inner.split_once('"') {
                Some((phrase, tail)) => (phrase, true, tail),
                None => (inner, true, ""),
            },
            None => {
                let end = after_dash
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(after_dash.len());
                // A quote inside a word starts a phrase next time round.
                let end = if end == 0 { first.len_utf8() } else { end };
                (&after_dash[..end], false, &after_dash[end..])
            }
        };
        rest = tail;
        if !piece.chars().any(is_word_char) {
            continue;
        }
        let kind = match piece.chars().filter(|c| is_no_space_char(*c)).count() {
            0 if quoted || excluded => TermKind::Phrase,
            0 => TermKind::Prefix,
            _ if piece.chars().filter(|c| !c.is_whitespace()).count() >= MIN_SUBSTRING_CHARS => {
                TermKind::Substring
            }
            _ if excluded => TermKind::Phrase,
            _ => TermKind::Prefix,
        };
        terms.push(Term {
            text: piece.trim().to_string(),
            kind,
            excluded,
        });
        if terms.len() > MAX_TERMS {
            return Err(Error::InvalidArgument(format!(
                "the search has more than {MAX_TERMS} words; use fewer"
            )));
        }
    }
    if terms.is_empty() {
        return Err(Error::InvalidArgument(
            "the search has no word to find (punctuation alone is not searched)".to_string(),
        ));
    }
    if terms.iter().all(|term| term.excluded) {
        return Err(Error::InvalidArgument(
            "the search only excludes words; add a word to find".to_string(),
        ));
    }
    Ok(ParsedQuery { terms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, TermKind, bool)> {
        parse(text)
            .map(|q| {
                q.terms
                    .into_iter()
                    .map(|t| (t.text, t.kind, t.excluded))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn words_phrases_and_exclusions() {
        use TermKind::*;
        assert_eq!(
            kinds(r#"meet "big plan" -lunch"#),
            vec![
                ("meet".into(), Prefix, false),
                ("big plan".into(), Phrase, false),
                ("lunch".into(), Phrase, true)
            ]
        );
        assert_eq!(
            kinds("東京タワー"),
            vec![("東京タワー".into(), Substring, false)]
        );
        assert_eq!(kinds("東京"), vec![("東京".into(), Prefix, false)]);
        assert_eq!(
            kinds("a - b"),
            vec![("a".into(), Prefix, false), ("b".into(), Prefix, false)]
        );
        assert_eq!(
            kinds(r#"say"hi"#),
            vec![("say".into(), Prefix, false), ("hi".into(), Phrase, false)]
        );
    }

    #[test]
    fn refusals() {
        for text in [
            "",
            "   ",
            "-",
            "* ( ^ :",
            "-lunch",
            "\"\"",
            &"a ".repeat(17),
            &"x".repeat(501),
        ] {
            assert!(
                matches!(parse(text), Err(Error::InvalidArgument(_))),
                "{text:?}"
            );
        }
    }
}
