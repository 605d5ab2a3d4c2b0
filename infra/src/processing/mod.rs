//! Document processing infrastructure: the reactor that enqueues jobs from the log, the
//! PostgreSQL job queue the workers compete over, and the worker that extracts, classifies and
//! records.

mod models;
mod queue;
mod reactor;
mod source;
mod worker;

pub use models::PgModelStore;
pub use queue::{ClaimedJob, JobOutcome, JobQueue, JobStatus, QueueConfig};
pub use reactor::ProcessingReactor;
pub use source::{candidate_topics, BlobTextLoader, StoreDocumentSource, TEXT_OBJECT};
pub use worker::{DocumentFacts, DocumentSource, Worker, WorkerConfig};
