//! What the PostgreSQL search index holds for a text, computed here rather
//! than by the server's text search parser (whose idea of a letter depends
//! on the database's locale: in a `C` locale it drops Arabic, CJK and
//! emoji) or by the `unaccent` / `pg_trgm` extensions (which need rights to
//! install, one copy per database, shared by every store's schema):
//!
//! - **words**: the runs of word characters (`search_query::is_word_char`,
//!   the rule the query parser uses), folded ([`fold`]: lowercase, Latin
//!   diacritics removed), as a `tsvector` with positions, so phrases
//!   (`<->`) and prefixes (`:*`) work as on SQLite;
//! - **substrings**, only for a text with a character of a script written
//!   without spaces (`search_query::NO_SPACE_RANGES`): the folded text and
//!   its distinct three-character windows (a `text[]` under a GIN index,
//!   what `pg_trgm` would keep), rechecked with `strpos`.
//!
//! Every query term becomes quoted `tsquery` lexemes: never syntax.

use crate::search_query::{Term, TermKind, is_no_space_char, is_word_char};
use crate::storage::search::{MATCH_CLOSE, MATCH_OPEN};

/// The longest lexeme PostgreSQL keeps (bytes); longer words are cut.
const MAX_LEXEME_BYTES: usize = 2046;
/// The highest position a `tsvector` holds (later words share it).
const MAX_POSITION: usize = 16_383;
/// Words of context a snippet shows.
const SNIPPET_WORDS: usize = 12;

/// The folded form of one character, appended to `out`: lowercase, with
/// the combining diacritical marks (U+0300–U+036F) of its canonical
/// decomposition removed (`Café` → `cafe`).
fn fold_char(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        unicode_normalization::char::decompose_canonical(lower, |d| {
            if !('\u{0300}'..='\u{036F}').contains(&d) {
                out.push(d);
            }
        });
    }
}

/// The folded form of `text` ([`fold_char`] for each character).
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// The word runs of `text`, as byte ranges.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(at),
            (false, Some(begin)) => {
                spans.push((begin, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        spans.push((begin, text.len()));
    }
    spans
}

/// A word as the index holds it: folded, cut to the longest lexeme.
fn lexeme(word: &str) -> String {
    let mut folded = fold(word);
    if folded.len() > MAX_LEXEME_BYTES {
        let mut cut = MAX_LEXEME_BYTES;
        while !folded.is_char_boundary(cut) {
            cut -= 1;
        }
        folded.truncate(cut);
    }
    folded
}

/// The folded words of `text`, in order (empty ones, of marks alone, left out).
fn lexemes(text: &str) -> Vec<String> {
    word_spans(text)
        .into_iter()
        .map(|(start, end)| lexeme(&text[start..end]))
        .filter(|word| !word.is_empty())
        .collect()
}

/// A quoted `tsvector` / `tsquery` lexeme: whatever it holds, one lexeme.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"))
}

/// What the index stores for one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Indexed {
    /// The `tsvector` input of its words with their positions.
    pub words: String,
    /// The folded text, for a text with a no-space script character.
    pub folded: Option<String>,
    /// Its distinct three-character windows, sorted (same condition).
    pub trigrams: Option<Vec<String>>,
}

/// The index entry of `text`.
pub(crate) fn index(text: &str) -> Indexed {
    let words = lexemes(text)
        .iter()
        .enumerate()
        .map(|(at, word)| format!("{}:{}", quoted(word), (at + 1).min(MAX_POSITION)))
        .collect::<Vec<_>>()
        .join(" ");
    let (folded, trigrams) = match text.chars().any(is_no_space_char) {
        true => {
            let folded = fold(text);
            let grams = trigrams(&folded);
            (Some(folded), (!grams.is_empty()).then_some(grams))
        }
        false => (None, None),
    };
    Indexed {
        words,
        folded,
        trigrams,
    }
}

/// The distinct three-character windows of `folded`, sorted.
pub(crate) fn trigrams(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    let mut grams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    grams.sort();
    grams.dedup();
    grams
}

/// The `tsquery` of one word or phrase term (`None` if it has no word the
/// index would hold): its words in a row, the last a prefix for
/// [`TermKind::Prefix`].
pub(crate) fn tsquery_term(term: &Term) -> Option<String> {
    let words = lexemes(&term.text);
    if words.is_empty() {
        return None;
    }
    let last = words.len() - 1;
    let parts: Vec<String> = words
        .iter()
        .enumerate()
        .map(
            |(at, word)| match term.kind == TermKind::Prefix && at == last {
                true => format!("{}:*", quoted(word)),
                false => quoted(word),
            },
        )
        .collect();
    let phrase = parts.join(" <-> ");
    Some(match term.excluded {
        true => format!("!({phrase})"),
        false => format!("({phrase})"),
    })
}

/// Marks the matches of `terms` in `text` with [`MATCH_OPEN`] /
/// [`MATCH_CLOSE`] and cuts it to a window of words around the first one
/// (`…` where cut), as SQLite's `snippet()` does.
pub(crate) fn snippet(text: &str, terms: &[Term]) -> String {
    let spans = word_spans(text);
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let wanted: Vec<(Vec<String>, TermKind)> = terms
        .iter()
        .filter(|t| !t.excluded && t.kind != TermKind::Substring)
        .map(|t| (lexemes(&t.text), t.kind))
        .collect();
    for &(start, end) in &spans {
        let word = lexeme(&text[start..end]);
        let hit = wanted.iter().any(|(words, kind)| {
            words.iter().enumerate().any(|(at, w)| {
                match *kind == TermKind::Prefix && at + 1 == words.len() {
                    true => word.starts_with(w.as_str()),
                    false => word == *w,
                }
            })
        });
        if hit && !word.is_empty() {
            marks.push((start, end));
        }
    }
    for term in terms
        .iter()
        .filter(|t| !t.excluded && t.kind == TermKind::Substring)
    {
        marks.extend(substring_spans(text, &fold(&term.text)));
    }
    marks.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in marks {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let (from, to) = window(text, &spans, merged.first().map(|m| m.0));
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = from;
    for &(start, end) in merged
        .iter()
        .filter(|(start, end)| *start >= from && *end <= to)
    {
        out.push_str(&text[at..start]);
        out.push(MATCH_OPEN);
        out.push_str(&text[start..end]);
        out.push(MATCH_CLOSE);
        at = end;
    }
    out.push_str(&text[at..to]);
    if to < text.len() {
        out.push('…');
    }
    out
}

/// The byte range of the snippet: the whole text when it has few words,
/// else [`SNIPPET_WORDS`] words starting a little before the first match.
fn window(text: &str, spans: &[(usize, usize)], first: Option<usize>) -> (usize, usize) {
    if spans.len() <= SNIPPET_WORDS {
        return (0, text.len());
    }
    let hit = first
        .and_then(|at| spans.iter().position(|&(_, end)| end > at))
        .unwrap_or(0);
    let begin = hit.saturating_sub(2).min(spans.len() - SNIPPET_WORDS);
    let end = begin + SNIPPET_WORDS - 1;
    let from = if begin == 0 { 0 } else { spans[begin].0 };
    let to = if end + 1 == spans.len() {
        text.len()
    } else {
        spans[end].1
    };
    (from, to)
}

/// Where the folded `needle` occurs in the folded `text`, as byte ranges of
/// the original text.
fn substring_spans(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let needle: Vec<char> = needle.chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    // Each folded character with the original character it came from.
    let mut folded: Vec<(char, usize, usize)> = Vec::new();
    let mut buffer = String::new();
    for (at, c) in text.char_indices() {
        buffer.clear();
        fold_char(c, &mut buffer);
        for f in buffer.chars() {
            folded.push((f, at, at + c.len_utf8()));
        }
    }
    let mut spans = Vec::new();
    let mut i = 0;
    while i + needle.len() <= folded.len() {
        if folded[i..i + needle.len()]
            .iter()
            .zip(&needle)
            .all(|(f, n)| f.0 == *n)
        {
            spans.push((folded[i].1, folded[i + needle.len() - 1].2));
            i += needle.len();
        } else {
            i += 1;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search_query::parse;

    fn marked(text: &str, query: &str) -> String {
        snippet(text, &parse(query).unwrap().terms)
            .replace(MATCH_OPEN, "[")
            .replace(MATCH_CLOSE, "]")
    }

    #[test]
    fn words_are_folded_with_positions_and_quoted() {
        let indexed = index("Rendez-vous au CAFÉ, l'été 🎉");
        assert_eq!(
            indexed.words,
            "'rendez':1 'vous':2 'au':3 'cafe':4 'l':5 'ete':6 '🎉':7"
        );
        assert_eq!(indexed.folded, None);
        assert_eq!(index("a\\b").words, "'a':1 'b':2");
        let cjk = index("東京タワー");
        assert_eq!(cjk.folded.as_deref(), Some("東京タワー"));
        assert_eq!(
            cjk.trigrams.unwrap(),
            vec!["タワー", "京タワ", "東京タ"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn terms_become_quoted_lexemes() {
        let q = parse(r#"meet "big plan" -it's x^2"#).unwrap();
        let parts: Vec<_> = q.terms.iter().filter_map(tsquery_term).collect();
        assert_eq!(
            parts,
            vec![
                "('meet':*)",
                "('big' <-> 'plan')",
                "!('it' <-> 's')",
                "('x' <-> '2':*)"
            ]
        );
    }

    #[test]
    fn snippets_mark_words_prefixes_and_substrings() {
        assert_eq!(
            marked("Lunch at the Café tomorrow?", "cafe lun"),
            "[Lunch] at the [Café] tomorrow?"
        );
        assert_eq!(
            marked("我们明天在東京タワー见面吧", "京タワ"),
            "我们明天在東[京タワ]ー见面吧"
        );
        let long = "one two three four five six seven eight nine ten eleven twelve kiwi end";
        assert_eq!(
            marked(long, "kiwi"),
            "…eleven twelve [kiwi] end".replace(
                "…eleven",
                "…three four five six seven eight nine ten eleven"
            )
        );
    }
}
