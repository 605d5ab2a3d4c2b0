//! Words for classification: lowercase alphanumeric runs, common function words dropped.

/// Words too common to say anything about a topic (English and German, the vaults' usual languages).
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over",
    "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
    "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours", "aber", "als", "am", "an", "auch",
    "auf", "aus", "bei", "bin", "bis", "das", "dass", "dem", "den", "der", "des", "die", "doch",
    "du", "ein", "eine", "einem", "einen", "einer", "eines", "er", "es", "für", "hat", "ich",
    "ihr", "im", "in", "ist", "mit", "nach", "nicht", "noch", "oder", "sich", "sie", "sind", "so",
    "um", "und", "uns", "von", "vor", "war", "wir", "wie", "zu", "zum", "zur",
];

/// Longer "words" are hashes, base64 or URLs: noise for a classifier.
const MAX_WORD_CHARS: usize = 40;

/// All words of `text`, lowercased, in order (no stopword filtering): for keyword rules.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
        .map(str::to_lowercase)
}

/// The words that carry meaning: no stopwords, no single letters, no bare numbers.
pub fn terms(text: &str) -> impl Iterator<Item = String> + '_ {
    words(text).filter(|w| {
        w.chars().count() >= 2
            && !w.chars().all(|c| c.is_numeric())
            && !STOPWORDS.contains(&w.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_drops_noise() {
        let t: Vec<String> = terms("The Invoice #4711 for Müller & Söhne, 12.03.2026; x").collect();
        assert_eq!(t, ["invoice", "müller", "söhne"]);
        let w: Vec<String> = words("Tax-Return of 2025").collect();
        assert_eq!(w, ["tax", "return", "of", "2025"]);
    }
}
