//! The embedded classifier (no network): the owner's naive Bayes model plus keyword rules.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use domain::classifier::{Classification, Classifier, ClassifyError, ClassifyRequest, TopicScore};
use domain::ids::{DocumentId, TopicId, UserId};

use super::bayes::NaiveBayes;
use super::keywords;

/// Where the built-in classifier finds each user's model.
///
/// Contract: `model` returns the user's current model (an empty one for a user who never
/// assigned a topic) and never another user's; an error is an infrastructure failure.
#[async_trait]
pub trait ModelStore: Send + Sync {
    async fn model(&self, owner: UserId) -> Result<NaiveBayes, ClassifyError>;
}

/// Models kept in memory and trained by calls (tests, benchmarks, and the worker's cache).
#[derive(Debug, Default, Clone)]
pub struct InMemoryModels(Arc<RwLock<HashMap<UserId, NaiveBayes>>>);

impl InMemoryModels {
    pub fn learn(&self, owner: UserId, document: DocumentId, text: &str, topics: &[TopicId]) {
        self.0
            .write()
            .expect("model lock")
            .entry(owner)
            .or_default()
            .learn(document, text, topics);
    }

    pub fn forget(&self, owner: UserId, document: DocumentId) {
        if let Some(m) = self.0.write().expect("model lock").get_mut(&owner) {
            m.forget(document);
        }
    }
}

#[async_trait]
impl ModelStore for InMemoryModels {
    async fn model(&self, owner: UserId) -> Result<NaiveBayes, ClassifyError> {
        Ok(self
            .0
            .read()
            .expect("model lock")
            .get(&owner)
            .cloned()
            .unwrap_or_default())
    }
}

/// Naive Bayes over the owner's own assignments, and keyword rules, whichever is more confident.
pub struct BuiltinClassifier {
    models: Arc<dyn ModelStore>,
}

impl BuiltinClassifier {
    pub fn new(models: Arc<dyn ModelStore>) -> Self {
        Self { models }
    }
}

#[async_trait]
impl Classifier for BuiltinClassifier {
    fn name(&self) -> &str {
        "builtin"
    }

    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError> {
        let text = format!("{}\n{}", request.filename, request.text);
        let model = self.models.model(request.owner).await?;
        let ids: Vec<TopicId> = request.topics.iter().map(|t| t.id).collect();
        let mut scores = model.predict(&text, &ids);
        for rule in keywords::matches(&text, &request.topics) {
            merge(&mut scores, rule);
        }
        Ok(Classification {
            provider: self.name().to_owned(),
            model: None,
            scores,
            fell_back: false,
        }
        .normalized(&request.topics))
    }
}

fn merge(scores: &mut Vec<TopicScore>, rule: TopicScore) {
    match scores.iter_mut().find(|s| s.topic_id == rule.topic_id) {
        Some(s) => {
            s.confidence = s.confidence.max(rule.confidence);
            // The rule's keywords first: they are the owner's own explanation.
            let mut terms = rule.terms;
            for t in s.terms.drain(..) {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
            s.terms = terms;
        }
        None => scores.push(rule),
    }
}
