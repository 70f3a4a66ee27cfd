//! How text becomes index terms, and a search string becomes term patterns, so that every
//! message the IMAP substring rule matches is among the index's candidates.
//!
//! Both sides are folded the same way (lowercased as the substring rule lowercases, final
//! sigma as sigma) and cut at every character that is not alphanumeric. When a folded search
//! string occurs in folded text, its first piece is then the end of a term, its last piece the
//! start of one, and the pieces between are whole terms: a search for `ick bro` has the
//! candidates with a term ending in `ick` and a term starting with `bro`.

use std::collections::HashSet;

/// Longer terms (base64 runs, hashes of hashes) are not kept: a message that has one is
/// marked instead, and is a candidate of every search.
pub const LONG: usize = 80;

/// Pieces shorter than this that are not whole terms match too many terms to narrow a
/// search (`e` is inside most of them): they are left out of the pattern, which only widens
/// the candidates.
const SHORTEST_PART: usize = 3;

/// Lowercased as the substring rule lowercases (`str::to_lowercase`), final sigma as sigma.
pub fn fold(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains('ς') { lower.replace('ς', "σ") } else { lower }
}

/// Add the terms of `text` to `out`; true when some term was too long to keep.
pub fn terms(text: &str, out: &mut HashSet<String>) -> bool {
    let mut long = false;
    for t in fold(text).split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
        if t.len() > LONG {
            long = true;
        } else if !out.contains(t) {
            out.insert(t.to_owned());
        }
    }
    long
}

/// A term a matching message must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Exact(String),
    StartsWith(String),
    EndsWith(String),
    Inside(String),
}

impl Pattern {
    pub fn text(&self) -> &str {
        match self {
            Pattern::Exact(t) | Pattern::StartsWith(t) | Pattern::EndsWith(t) | Pattern::Inside(t) => t,
        }
    }
}

/// The terms a message must have to contain `needle`; empty when nothing narrows the search
/// (a needle of punctuation, or of pieces too short), and then every message is a candidate.
pub fn patterns(needle: &str) -> Vec<Pattern> {
    let folded = fold(needle);
    let pieces: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).collect();
    let n = pieces.len();
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            continue;
        }
        // A piece with a separator on both sides in the needle is a whole term in the text.
        let (whole_start, whole_end) = (i > 0, i + 1 < n);
        let p = match (whole_start, whole_end) {
            (true, true) => Pattern::Exact(piece.to_string()),
            (true, false) => Pattern::StartsWith(piece.to_string()),
            (false, true) => Pattern::EndsWith(piece.to_string()),
            (false, false) => Pattern::Inside(piece.to_string()),
        };
        if matches!(p, Pattern::Exact(_)) || piece.chars().count() >= SHORTEST_PART {
            out.push(p);
        }
    }
    out
}

/// Whether `term` (folded) satisfies `p`: what the index's term lookup does, for tests.
pub fn satisfies(term: &str, p: &Pattern) -> bool {
    match p {
        Pattern::Exact(t) => term == t,
        Pattern::StartsWith(t) => term.starts_with(t.as_str()),
        Pattern::EndsWith(t) => term.ends_with(t.as_str()),
        Pattern::Inside(t) => term.contains(t.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(s: &str) -> Pattern {
        Pattern::Exact(s.into())
    }

    #[test]
    fn a_needle_becomes_the_terms_around_it() {
        let cases: &[(&str, Vec<Pattern>)] = &[
            ("hello", vec![Pattern::Inside("hello".into())]),
            ("HeLLo", vec![Pattern::Inside("hello".into())]),
            (" hello", vec![Pattern::StartsWith("hello".into())]),
            ("hello ", vec![Pattern::EndsWith("hello".into())]),
            (" hello ", vec![exact("hello")]),
            (
                "quick brown fox",
                vec![Pattern::EndsWith("quick".into()), exact("brown"), Pattern::StartsWith("fox".into())],
            ),
            ("bob@x.example", vec![Pattern::EndsWith("bob".into()), exact("x"), Pattern::StartsWith("example".into())]),
            // Short pieces at the ends narrow nothing; whole short terms do.
            ("a b c", vec![exact("b")]),
            ("ab", vec![]),
            ("@", vec![]),
            ("", vec![]),
            ("ΟΔΟΣ", vec![Pattern::Inside("οδοσ".into())]),
            ("Café crème", vec![Pattern::EndsWith("café".into()), Pattern::StartsWith("crème".into())]),
        ];
        for (needle, want) in cases {
            assert_eq!(&patterns(needle), want, "{needle:?}");
        }
    }

    /// The rule the index relies on: whenever the folded needle is inside the folded text,
    /// every pattern is satisfied by some term of the text (or the text has a long term).
    #[test]
    fn every_substring_match_is_a_candidate() {
        let texts = [
            "The quick brown fox jumps over the lazy dog",
            "From: Bob <bob@x.example>\r\nSubject: Café crème",
            "ΟΔΟΣ ΣΑΣ and ὀδός",
            "İstanbul KELVIN \u{212A} straße",
            "tab\tseparated\u{00a0}nbsp-hyphen_under",
        ];
        for text in texts {
            let mut set = HashSet::new();
            let long = terms(text, &mut set);
            assert!(!long);
            let folded = fold(text);
            let chars: Vec<(usize, char)> = folded.char_indices().collect();
            for (i, &(a, _)) in chars.iter().enumerate() {
                for &(b, _) in chars[i..].iter().skip(1).chain(std::iter::once(&(folded.len(), ' '))) {
                    let needle = &folded[a..b];
                    for p in patterns(needle) {
                        assert!(set.iter().any(|t| satisfies(t, &p)), "{needle:?} in {text:?}: {p:?} has no term");
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_term_is_not_kept_but_marks_the_text() {
        let mut set = HashSet::new();
        assert!(terms(&format!("short {}", "x".repeat(LONG + 1)), &mut set));
        assert_eq!(set.into_iter().collect::<Vec<_>>(), vec!["short".to_string()]);
    }
}
