//! Processing events. Extracted text is document content and never appears here: the events
//! point at a derived blob object, and the explaining terms are encrypted with the owner's key.

use serde::{Deserialize, Serialize};

use crate::event::DomainEvent;
use crate::ids::TopicId;
use crate::personal::Personal;

/// What text extraction produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionKind {
    /// From the format's text layer.
    Native,
    /// Recognised by OCR.
    Ocr,
    /// An image or image-only PDF and no OCR engine installed: searchable by filename only.
    OcrUnavailable,
    /// A format without an extractor.
    Unsupported,
    /// A valid document without any text.
    Empty,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedTopic {
    pub topic_id: TopicId,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ProcessingEvent {
    TextExtracted {
        run: u32,
        kind: ExtractionKind,
        /// The blob-store key of the derived text object; `None` when there is no text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text_object: Option<String>,
        chars: u64,
        truncated: bool,
    },
    TopicsSuggested {
        run: u32,
        provider: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        fell_back: bool,
        /// The topics recommended (confidence at or above the assignment threshold), best first.
        suggestions: Vec<SuggestedTopic>,
        /// Words that explain the suggestion: document content, so encrypted.
        terms: Personal<Vec<String>>,
    },
    /// The run finished: the document's topics are now `topic_ids` (status `ready`).
    DocumentClassified { run: u32, topic_ids: Vec<TopicId> },
    ProcessingFailed {
        run: u32,
        /// 1-based attempt within the run.
        attempt: u32,
        /// A stable code (`corrupt`, `timeout`, `decompression_bomb`, …); never document content.
        code: String,
        /// No more retries: the status is `error` until a reclassification.
        permanent: bool,
    },
    /// The owner confirmed the suggested topics.
    TopicsAccepted { topic_ids: Vec<TopicId> },
    /// The owner chose topics other than the suggested ones.
    TopicsOverridden {
        topic_ids: Vec<TopicId>,
        previous: Vec<TopicId>,
    },
    /// The owner asked for the classifier to run again; starts run `run`.
    ReclassificationRequested { run: u32 },
}

impl DomainEvent for ProcessingEvent {}
