//! The document-processing aggregate (stream `processing-<document id>`): text extraction,
//! classification and the owner's topic decisions for one document, in numbered runs.

mod decide;
mod error;
mod event;
mod state;

pub use decide::{decide, ClassificationRecord, ProcessingCommand};
pub use error::ProcessingError;
pub use event::{ExtractionKind, ProcessingEvent, SuggestedTopic};
pub use state::{DocumentProcessing, ProcessingStatus, TextRecord};
