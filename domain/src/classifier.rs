//! The classification port: suggest which of its owner's topics a document belongs to.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ids::{DocumentId, TopicId, UserId};

/// One topic the document may be put in: the owner's own topics and the system topics they see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicCandidate {
    pub id: TopicId,
    pub name: String,
    /// Keyword rules attached to the topic: a whole-word match assigns it.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Everything a classifier may see. It holds only the owner's data: their document and their
/// topics, never another user's.
#[derive(Debug, Clone)]
pub struct ClassifyRequest {
    pub owner: UserId,
    pub document_id: DocumentId,
    pub filename: String,
    /// The extracted text (possibly empty); providers may shorten it further.
    pub text: String,
    pub topics: Vec<TopicCandidate>,
}

/// A classifier's belief that the document belongs to one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicScore {
    pub topic_id: TopicId,
    /// 0.0 ..= 1.0
    pub confidence: f32,
    /// The words that weighed most for this topic (document content: personal data).
    pub terms: Vec<String>,
}

/// A classifier's answer, best topic first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// `builtin`, `openai`, `ollama`, …
    pub provider: String,
    /// The model that answered, for remote providers.
    pub model: Option<String>,
    pub scores: Vec<TopicScore>,
    /// The configured provider failed and this answer came from the fallback.
    pub fell_back: bool,
}

impl Classification {
    /// The topics whose confidence reaches `threshold`, best first.
    pub fn suggested(&self, threshold: f32) -> Vec<TopicId> {
        self.scores
            .iter()
            .filter(|s| s.confidence >= threshold)
            .map(|s| s.topic_id)
            .collect()
    }

    /// Sorts scores by confidence (best first) and drops unknown or duplicate topics.
    pub fn normalized(mut self, known: &[TopicCandidate]) -> Self {
        let mut seen = std::collections::HashSet::new();
        self.scores
            .retain(|s| known.iter().any(|t| t.id == s.topic_id) && seen.insert(s.topic_id));
        for s in &mut self.scores {
            s.confidence = s.confidence.clamp(0.0, 1.0);
        }
        self.scores
            .sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// The provider did not answer within its time limit.
    #[error("classifier timed out")]
    Timeout,
    /// The provider could not be reached or answered with an error status.
    #[error("classifier unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something that is not a classification.
    #[error("classifier answered badly: {0}")]
    BadResponse(String),
}

/// Suggests topics for a document.
///
/// Contract: scores refer only to `request.topics` (implementations drop anything else); a
/// provider failure is an error, never an empty answer, so a fallback can take over; nothing
/// outside `request` is sent anywhere.
#[async_trait]
pub trait Classifier: Send + Sync {
    /// A short stable name (`builtin`, `openai`, `ollama`), stored with each suggestion.
    fn name(&self) -> &str;
    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError>;
}
