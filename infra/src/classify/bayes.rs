//! The built-in model: one-vs-rest multinomial naive Bayes per topic, trained on a user's own
//! topic assignments, updated incrementally (a relabelled document is unlearned, then relearned).

use std::collections::HashMap;

use domain::classifier::TopicScore;
use domain::ids::{DocumentId, TopicId};
use serde::{Deserialize, Serialize};

use super::tokenize;

/// Laplace smoothing.
const ALPHA: f64 = 1.0;
/// Only a document's most frequent terms are kept as its training example.
const MAX_TERMS_PER_EXAMPLE: usize = 400;
/// Terms reported as the explanation of a score.
const EXPLAIN_TERMS: usize = 5;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Counts {
    docs: u32,
    terms: HashMap<String, u32>,
    total: u64,
}

impl Counts {
    fn add(&mut self, example: &[(String, u32)], sign: i64) {
        self.docs = (self.docs as i64 + sign).max(0) as u32;
        for (term, n) in example {
            let entry = self.terms.entry(term.clone()).or_default();
            *entry = (*entry as i64 + sign * *n as i64).max(0) as u32;
            self.total = (self.total as i64 + sign * *n as i64).max(0) as u64;
            if *entry == 0 {
                self.terms.remove(term);
            }
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Example {
    terms: Vec<(String, u32)>,
    topics: Vec<TopicId>,
}

/// One user's model. Serializable, so it can be cached or stored between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NaiveBayes {
    /// Every training document (with or without topics).
    all: Counts,
    topics: HashMap<TopicId, Counts>,
    examples: HashMap<DocumentId, Example>,
}

impl NaiveBayes {
    /// Training documents so far.
    pub fn examples(&self) -> usize {
        self.examples.len()
    }

    /// Records (or replaces) the owner's topic assignment of one document. A document with no
    /// topics is still an example: it is evidence *against* every topic.
    pub fn learn(&mut self, document: DocumentId, text: &str, topics: &[TopicId]) {
        self.forget(document);
        let example = Example {
            terms: example_terms(text),
            topics: {
                let mut t = topics.to_vec();
                t.sort();
                t.dedup();
                t
            },
        };
        self.all.add(&example.terms, 1);
        for t in &example.topics {
            self.topics.entry(*t).or_default().add(&example.terms, 1);
        }
        self.examples.insert(document, example);
    }

    /// Changes only the topics of a document already learnt (the text is kept from before).
    /// Returns false when the document is unknown.
    pub fn relabel(&mut self, document: DocumentId, topics: &[TopicId]) -> bool {
        let Some(example) = self.examples.get(&document).cloned() else {
            return false;
        };
        self.remove(&example);
        let mut topics = topics.to_vec();
        topics.sort();
        topics.dedup();
        let example = Example {
            terms: example.terms,
            topics,
        };
        self.all.add(&example.terms, 1);
        for t in &example.topics {
            self.topics.entry(*t).or_default().add(&example.terms, 1);
        }
        self.examples.insert(document, example);
        true
    }

    /// Removes a document's example (it was deleted, or is about to be relearnt).
    pub fn forget(&mut self, document: DocumentId) {
        if let Some(example) = self.examples.remove(&document) {
            self.remove(&example);
        }
    }

    /// Drops a deleted topic from the model.
    pub fn forget_topic(&mut self, topic: TopicId) {
        self.topics.remove(&topic);
        for e in self.examples.values_mut() {
            e.topics.retain(|t| *t != topic);
        }
    }

    fn remove(&mut self, example: &Example) {
        self.all.add(&example.terms, -1);
        for t in &example.topics {
            if let Some(c) = self.topics.get_mut(t) {
                c.add(&example.terms, -1);
                if c.docs == 0 {
                    self.topics.remove(t);
                }
            }
        }
    }

    /// Scores each candidate topic the model has evidence for, best first.
    ///
    /// Per topic T: log prior odds of T plus the summed log-likelihood ratios
    /// `ln P(w|T) / P(w|not T)` of the document's known terms (sublinear term frequency),
    /// divided by the square root of the weight so that long documents are not overconfident;
    /// the logistic function turns that into a confidence.
    pub fn predict(&self, text: &str, candidates: &[TopicId]) -> Vec<TopicScore> {
        let mut tf: HashMap<String, u32> = HashMap::new();
        for t in tokenize::terms(text) {
            *tf.entry(t).or_default() += 1;
        }
        let vocabulary = self.all.terms.len().max(1) as f64;
        let docs = self.all.docs as f64;
        let mut scores: Vec<TopicScore> = candidates
            .iter()
            .filter_map(|topic| {
                let pos = self.topics.get(topic)?;
                let neg_docs = docs - pos.docs as f64;
                let prior = ((pos.docs as f64 + 1.0) / (neg_docs + 1.0)).ln();
                let neg_total = self.all.total.saturating_sub(pos.total) as f64;
                let mut weight = 0.0;
                let mut sum = 0.0;
                let mut contributions: Vec<(f64, &str)> = Vec::new();
                for (term, n) in &tf {
                    let Some(&all_n) = self.all.terms.get(term) else {
                        continue;
                    };
                    let in_t = pos.terms.get(term).copied().unwrap_or(0) as f64;
                    let p_t = (in_t + ALPHA) / (pos.total as f64 + ALPHA * vocabulary);
                    let p_not = (all_n as f64 - in_t + ALPHA) / (neg_total + ALPHA * vocabulary);
                    let x = 1.0 + (*n as f64).ln();
                    let c = x * (p_t / p_not).ln();
                    weight += x;
                    sum += c;
                    contributions.push((c, term));
                }
                let evidence = if weight > 0.0 {
                    sum / weight.sqrt()
                } else {
                    0.0
                };
                let confidence = 1.0 / (1.0 + (-(prior + evidence)).exp());
                contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
                let terms = contributions
                    .iter()
                    .filter(|(c, _)| *c > 0.0)
                    .take(EXPLAIN_TERMS)
                    .map(|(_, t)| t.to_string())
                    .collect();
                Some(TopicScore {
                    topic_id: *topic,
                    confidence: confidence as f32,
                    terms,
                })
            })
            .collect();
        scores.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        scores
    }
}

fn example_terms(text: &str) -> Vec<(String, u32)> {
    let mut tf: HashMap<String, u32> = HashMap::new();
    for t in tokenize::terms(text) {
        *tf.entry(t).or_default() += 1;
    }
    let mut v: Vec<(String, u32)> = tf.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(MAX_TERMS_PER_EXAMPLE);
    v
}
