//! English words as PostgreSQL's `english` text-search configuration sees them: its stopwords and
//! its Snowball stems, for the search's strategy estimate and snippet highlighting.

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// PostgreSQL's `english.stop` (share/tsearch_data), the words its `english` configuration drops.
const STOPWORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

static STOP: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOPWORDS.iter().copied().collect());
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// The `english` lexeme of a lowercase word: its stem, or `None` for a stopword. A word with a
/// digit in it is kept as it is: PostgreSQL's parser calls it a `numword` (or a number), which the
/// `english` configuration maps to the `simple` dictionary, not the stemmer ("report2025e" stays
/// whole where the stemmer would drop its final "e").
pub(super) fn lexeme(word: &str) -> Option<String> {
    if word.is_empty() || STOP.contains(word) {
        return None;
    }
    if word.chars().any(|c| c.is_numeric()) {
        return Some(word.to_owned());
    }
    Some(STEMMER.stem(word).into_owned())
}

/// The words of a text with their byte offsets, split about as PostgreSQL's parser splits them:
/// runs of letters and digits ("tax-return_2025" is tax, return, 2025).
pub(super) fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    // Each piece is a slice of `text`: its offset is the distance between their starts.
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_like_postgresql_and_drops_its_stopwords() {
        // What `to_tsvector('english', …)` gives for these words.
        assert_eq!(lexeme("invoices").as_deref(), Some("invoic"));
        assert_eq!(lexeme("companies").as_deref(), Some("compani"));
        assert_eq!(lexeme("running").as_deref(), Some("run"));
        assert_eq!(lexeme("the"), None);
        assert_eq!(lexeme("do"), None);
        // Words with digits go to the `simple` dictionary: not stemmed.
        assert_eq!(
            lexeme("zebrafishc48a8e").as_deref(),
            Some("zebrafishc48a8e")
        );
        assert_eq!(lexeme("invoices2025").as_deref(), Some("invoices2025"));
        assert_eq!(lexeme("2025").as_deref(), Some("2025"));
    }

    #[test]
    fn a_lexeme_begins_with_its_words_first_letter() {
        // The snippet rules words out by their first letter before stemming them; the
        // Snowball stemmer's exceptions and its initial-y and y-to-i rules included.
        for word in [
            "dying",
            "lying",
            "tying",
            "skies",
            "skis",
            "idly",
            "gently",
            "ugly",
            "early",
            "only",
            "singly",
            "news",
            "yelling",
            "yes",
            "youth",
            "says",
            "ies",
            "sses",
            "ied",
            "emily",
            "generously",
            "invoices",
            "ärzte",
            "öffnungszeiten",
            "élève",
            "x",
            "y2k",
        ] {
            let stem = STEMMER.stem(word);
            assert_eq!(stem.chars().next(), word.chars().next(), "{word} -> {stem}");
        }
    }

    #[test]
    fn splits_words_at_anything_but_letters_and_digits() {
        let found: Vec<_> = words("Tax-return_2025.pdf, café!").collect();
        assert_eq!(
            found,
            [
                (0, "Tax"),
                (4, "return"),
                (11, "2025"),
                (16, "pdf"),
                (21, "café")
            ]
        );
    }
}
