//! A document's processing state, folded from its stream.

use crate::aggregate::Aggregate;
use crate::ids::TopicId;

use super::event::{ExtractionKind, ProcessingEvent};

/// Where the current run stands. (`processing` — a worker holding the job — is a property of the
/// job queue, not of the log.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessingStatus {
    /// Waiting for (or in) extraction and classification.
    #[default]
    Pending,
    Ready,
    Error,
}

/// The text of the document, as far as the log knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRecord {
    pub kind: ExtractionKind,
    pub text_object: Option<String>,
    pub chars: u64,
    pub truncated: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentProcessing {
    /// Runs are numbered from 1 (the upload); each reclassification starts the next.
    pub run: u32,
    pub status: ProcessingStatus,
    /// Text extracted in any run; a reclassification reuses it.
    pub text: Option<TextRecord>,
    /// Whether the current run has already been classified.
    pub classified_in_run: bool,
    /// Failed attempts in the current run.
    pub failures_in_run: u32,
    /// The latest suggestion's topics, sorted; `None` before the first suggestion.
    pub suggested: Option<Vec<TopicId>>,
    /// The document's topics, sorted.
    pub topics: Vec<TopicId>,
    /// The owner set the topics by hand since the last reclassification request.
    pub decided_by_owner: bool,
}

impl DocumentProcessing {
    /// The run workers should report on (1 before any event).
    pub fn current_run(&self) -> u32 {
        self.run.max(1)
    }
}

pub(crate) fn sorted(ids: &[TopicId]) -> Vec<TopicId> {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    v
}

impl Aggregate for DocumentProcessing {
    type Event = ProcessingEvent;
    const CATEGORY: &'static str = "processing";

    fn evolve(mut self, event: &ProcessingEvent) -> Self {
        self.run = self.current_run();
        match event {
            ProcessingEvent::TextExtracted {
                kind,
                text_object,
                chars,
                truncated,
                ..
            } => {
                self.text = Some(TextRecord {
                    kind: *kind,
                    text_object: text_object.clone(),
                    chars: *chars,
                    truncated: *truncated,
                })
            }
            ProcessingEvent::TopicsSuggested { suggestions, .. } => {
                self.suggested = Some(sorted(
                    &suggestions.iter().map(|s| s.topic_id).collect::<Vec<_>>(),
                ));
            }
            ProcessingEvent::DocumentClassified { topic_ids, .. } => {
                self.topics = sorted(topic_ids);
                self.classified_in_run = true;
                self.status = ProcessingStatus::Ready;
            }
            ProcessingEvent::ProcessingFailed {
                attempt, permanent, ..
            } => {
                self.failures_in_run = *attempt;
                if *permanent {
                    self.status = ProcessingStatus::Error;
                }
            }
            ProcessingEvent::TopicsAccepted { topic_ids }
            | ProcessingEvent::TopicsOverridden { topic_ids, .. } => {
                self.topics = sorted(topic_ids);
                self.decided_by_owner = true;
            }
            ProcessingEvent::ReclassificationRequested { run } => {
                self.run = *run;
                self.status = ProcessingStatus::Pending;
                self.classified_in_run = false;
                self.failures_in_run = 0;
                self.decided_by_owner = false;
            }
        }
        self
    }
}
