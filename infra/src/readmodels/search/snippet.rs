//! Snippets: the words around a search's first match, the matching ones in `<mark>`, HTML-escaped.
//!
//! Done here rather than with PostgreSQL's `ts_headline`, which parsed each window again and was
//! a quarter of a query's time (docs/benchmarks.md, "Search"): the query returns the window and
//! the tsquery it ran, and the words are matched the way that tsquery matches them.

use std::collections::VecDeque;

use super::english;

/// Words kept before the first match, for context.
const WORDS_BEFORE: usize = 8;
/// Words in a snippet at most (ts_headline's two fragments of up to 30 words gave about as much).
const MAX_WORDS: usize = 40;

/// The lexemes a query looks for (not the ones it excludes), from PostgreSQL's text of the
/// tsquery it ran, e.g. `'invoic' & 'pay':* & !'draft'`.
#[derive(Debug, PartialEq)]
pub(super) struct Terms {
    /// (lexeme, matches as a prefix)
    lexemes: Vec<(String, bool)>,
    /// What a word that matches each lexeme begins with (`probe`), in the lexemes' order.
    probes: Vec<String>,
    /// The query is `english` (stems; stopwords never match), else `simple` (the words as such).
    english: bool,
}

impl Terms {
    pub fn parse(query: &str, english: bool) -> Self {
        let mut lexemes = Vec::new();
        let mut chars = query.chars().peekable();
        // `!` before a lexeme or a parenthesised group (an excluded phrase) excludes it.
        let (mut depth, mut excluded_from, mut not) = (0usize, None::<usize>, false);
        while let Some(c) = chars.next() {
            match c {
                '!' => not = true,
                '(' => {
                    depth += 1;
                    if not && excluded_from.is_none() {
                        excluded_from = Some(depth);
                    }
                    not = false;
                }
                ')' => {
                    if excluded_from == Some(depth) {
                        excluded_from = None;
                    }
                    depth = depth.saturating_sub(1);
                }
                '\'' => {
                    let mut lexeme = String::new();
                    while let Some(c) = chars.next() {
                        if c == '\'' {
                            // A doubled quote is a quote inside the lexeme.
                            if chars.peek() == Some(&'\'') {
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        lexeme.push(c);
                    }
                    let mut prefix = false;
                    if chars.peek() == Some(&':') {
                        chars.next();
                        while let Some(&c) = chars.peek() {
                            if c == '*' {
                                prefix = true;
                            } else if !c.is_ascii_alphabetic() {
                                break;
                            }
                            chars.next();
                        }
                    }
                    if !not && excluded_from.is_none() {
                        lexemes.push((lexeme, prefix));
                    }
                    not = false;
                }
                _ => {}
            }
        }
        let probes = lexemes.iter().map(|(l, _)| probe(l).to_owned()).collect();
        Terms {
            lexemes,
            probes,
            english,
        }
    }

    /// The first lexeme the query looks for, and whether it matches as a prefix.
    pub fn first(&self) -> Option<(&str, bool)> {
        self.lexemes
            .first()
            .map(|(l, prefix)| (l.as_str(), *prefix))
    }

    fn matches(&self, word: &str) -> bool {
        // A stem but its last two letters begins its word ("happy" -> "happi", "dying" ->
        // "die"; checked on 255,000 English words), so a word is stemmed only when it begins
        // with a lexeme but for the lexeme's last two letters (its first letter, for a lexeme of
        // one to three): stemming every word of the page's snippets was ~6% of a search's CPU,
        // and the words that share a lexeme's first letter only still ~2%.
        if !self.probes.iter().any(|p| begins_folded(word, p)) {
            return false;
        }
        let lower = word.to_lowercase();
        let lexeme = if self.english {
            match english::lexeme(&lower) {
                Some(l) => l,
                None => return false,
            }
        } else {
            lower
        };
        self.lexemes
            .iter()
            .any(|(l, prefix)| *l == lexeme || (*prefix && lexeme.starts_with(l.as_str())))
    }
}

/// What a word that stems to (or to a completion of) `lexeme` surely begins with: the lexeme
/// but for its last two letters, or its first letter.
fn probe(lexeme: &str) -> &str {
    let letters = lexeme.chars().count().saturating_sub(2).max(1);
    lexeme
        .char_indices()
        .nth(letters)
        .map_or(lexeme, |(at, _)| &lexeme[..at])
}

/// `word` lower-cased begins with `prefix` (lower case), without lower-casing all of it.
fn begins_folded(word: &str, prefix: &str) -> bool {
    // Most words and lexemes are ASCII: their bytes compared as such, with no chars decoded.
    let (w, p) = (word.as_bytes(), prefix.as_bytes());
    if p.is_ascii() {
        match w.get(..p.len()) {
            Some(head) if head.is_ascii() => return head.eq_ignore_ascii_case(p),
            None if w.is_ascii() => return false,
            _ => {}
        }
    }
    let mut folded = word.chars().flat_map(char::to_lowercase);
    prefix.chars().all(|p| folded.next() == Some(p))
}

/// The snippet of `window` (a piece of the text around its first match): from a few words
/// before the first matching word, at most `MAX_WORDS` words, escaped, matches marked. The words
/// are read only as far as the snippet goes, and escaped straight into it: splitting and
/// escaping the whole windows of a page were ~4% of a search's CPU.
pub(super) fn highlight(window: &str, terms: &Terms) -> String {
    let mut words = english::words(window).peekable();
    // The last `WORDS_BEFORE` words before the first match.
    let mut lead: VecDeque<(usize, &str)> = VecDeque::with_capacity(WORDS_BEFORE + 1);
    let mut first = None;
    for (offset, word) in words.by_ref() {
        if terms.matches(word) {
            first = Some((offset, word));
            break;
        }
        lead.push_back((offset, word));
        if lead.len() > WORDS_BEFORE {
            lead.pop_front();
        }
    }
    // (offset, word, marked)
    let mut chosen: Vec<(usize, &str, bool)> = Vec::with_capacity(MAX_WORDS);
    let mut rest = match first {
        Some((offset, word)) => {
            chosen.extend(lead.into_iter().map(|(o, w)| (o, w, false)));
            chosen.push((offset, word, true));
            words
        }
        // No match in the window: its first words.
        None => english::words(window).peekable(),
    };
    while chosen.len() < MAX_WORDS {
        let Some((offset, word)) = rest.next() else {
            break;
        };
        chosen.push((offset, word, terms.matches(word)));
    }
    let Some(&(mut at, _, _)) = chosen.first() else {
        let mut out = String::new();
        escape_into(&mut out, window.trim());
        return out;
    };
    let mut out = String::with_capacity(window.len() + 64);
    for &(offset, word, marked) in &chosen {
        escape_into(&mut out, &window[at..offset]);
        if marked {
            out.push_str("<mark>");
            escape_into(&mut out, word);
            out.push_str("</mark>");
        } else {
            escape_into(&mut out, word);
        }
        at = offset + word.len();
    }
    // The window's last word: what follows it too (its punctuation).
    if rest.peek().is_none() {
        escape_into(&mut out, window[at..].trim_end());
    }
    out
}

/// Appends `text` to `out`, HTML-escaped.
fn escape_into(out: &mut String, text: &str) {
    let mut from = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_looked_for_lexemes_of_a_tsquery() {
        let t = Terms::parse(
            "'invoic' & 'pay':* & !'draft' & !( 'tax' <-> 'return' )",
            true,
        );
        assert_eq!(
            t.lexemes,
            [("invoic".to_owned(), false), ("pay".to_owned(), true)]
        );
        let t = Terms::parse("'o''brien' <-> 'ltd'", false);
        assert_eq!(
            t.lexemes,
            [("o'brien".to_owned(), false), ("ltd".to_owned(), false)]
        );
    }

    #[test]
    fn a_word_with_digits_matches_its_unstemmed_prefix() {
        // PostgreSQL keeps `'zebrafishc48a8e':*` whole (a numword is not stemmed); so must we.
        let t = Terms::parse("'zebrafishc48a8e':*", true);
        assert_eq!(
            highlight("Counted the zebrafishc48a8e in the pond.", &t),
            "Counted the <mark>zebrafishc48a8e</mark> in the pond."
        );
    }

    #[test]
    fn marks_stemmed_and_prefix_matches_and_escapes() {
        let terms = Terms::parse("'invoic' & 'pay':*", true);
        assert_eq!(
            highlight("Two <b>Invoices</b> & payments, the paid one.", &terms),
            "Two &lt;b&gt;<mark>Invoices</mark>&lt;/b&gt; &amp; <mark>payments</mark>, the \
             paid one."
        );
        // A stopword never matches an english query, even when a lexeme starts like it.
        let terms = Terms::parse("'th':*", true);
        assert_eq!(highlight("the thing", &terms), "the <mark>thing</mark>");
        // Stopwords only: the words as they are (PostgreSQL's `simple` configuration).
        let terms = Terms::parse("'the'", false);
        assert_eq!(highlight("The lease", &terms), "<mark>The</mark> lease");
    }

    #[test]
    fn words_are_stemmed_only_when_they_may_match_and_then_always() {
        // The Snowball stemmer's exceptions, its y-to-i and -ies rules, prefixes.
        for word in [
            "dying",
            "lying",
            "tying",
            "vying",
            "skies",
            "idly",
            "gently",
            "early",
            "happy",
            "happiness",
            "relational",
            "generously",
            "invoices",
            "companies",
            "Companies",
            "ÄRZTE",
            "agreed",
            "cries",
        ] {
            let stem = english::lexeme(&word.to_lowercase()).unwrap();
            let exact = Terms::parse(&format!("'{stem}'"), true);
            assert!(exact.matches(word), "{word} -> {stem}");
            for cut in 1..stem.chars().count() {
                let prefix: String = stem.chars().take(cut).collect();
                let terms = Terms::parse(&format!("'{prefix}':*"), true);
                assert!(terms.matches(word), "{word} -> {stem}, {prefix}:*");
            }
        }
        assert_eq!(probe("invoic"), "invo");
        assert_eq!(probe("tax"), "t");
        assert_eq!(probe("ärzt"), "är");
        assert!(begins_folded("ÄRZTE", "är") && !begins_folded("Arzt", "är"));
        // ASCII compared byte by byte; a non-ASCII letter within the prefix folded as a char
        // (the Kelvin sign lower-cases to `k`).
        assert!(begins_folded("INVOICE", "invo") && begins_folded("Invo", "invo"));
        assert!(!begins_folded("inv", "invo") && !begins_folded("invert", "invo"));
        assert!(begins_folded("\u{212A}ilo", "kil") && !begins_folded("ké", "kx"));
        assert!(!Terms::parse("'invoic'", true).matches("invention"));
    }

    #[test]
    fn keeps_a_few_words_before_the_first_match_and_a_bounded_number_after() {
        let text = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let terms = Terms::parse("'w50'", false);
        let snippet = highlight(&text, &terms);
        assert!(snippet.starts_with("w42 "), "{snippet}");
        assert!(snippet.contains("<mark>w50</mark>"), "{snippet}");
        assert!(snippet.ends_with(" w81"), "{snippet}");
        // No match in the window: its first words.
        let snippet = highlight(&text, &Terms::parse("'nowhere'", false));
        assert!(snippet.starts_with("w0 w1 "), "{snippet}");
        assert!(snippet.ends_with(" w39"), "{snippet}");
        // A snippet that reaches the window's last word ends with what follows it.
        let snippet = highlight("a b <w3> \"w4\"!  ", &Terms::parse("'w4'", false));
        assert_eq!(snippet, "a b &lt;w3&gt; &quot;<mark>w4</mark>&quot;!");
        assert_eq!(highlight(" ?! ", &terms), "?!");
    }
}
