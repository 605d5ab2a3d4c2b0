//! Keyword rules: a topic's keyword (a word or a phrase) occurring as whole words assigns it.

use domain::classifier::{TopicCandidate, TopicScore};

use super::tokenize;

/// The confidence of a rule match: a rule is the owner's explicit wish.
pub const RULE_CONFIDENCE: f32 = 1.0;

/// Topics whose keywords occur in `text`, with the matching keywords as the explanation.
pub fn matches(text: &str, topics: &[TopicCandidate]) -> Vec<TopicScore> {
    let words: Vec<String> = tokenize::words(text).collect();
    topics
        .iter()
        .filter_map(|topic| {
            let hits: Vec<String> = topic
                .keywords
                .iter()
                .filter(|k| contains_phrase(&words, k))
                .cloned()
                .collect();
            (!hits.is_empty()).then_some(TopicScore {
                topic_id: topic.id,
                confidence: RULE_CONFIDENCE,
                terms: hits,
            })
        })
        .collect()
}

fn contains_phrase(words: &[String], keyword: &str) -> bool {
    let phrase: Vec<String> = tokenize::words(keyword).collect();
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase.as_slice())
}
