//! Document processing infrastructure: the PostgreSQL job queue the workers compete over, and
//! the worker that extracts, classifies and records. The reactor that enqueues jobs from the log
//! is a projection: `projections::processing::ProcessingReactor`.

mod models;
mod queue;
mod source;
mod worker;

pub use models::PgModelStore;
pub use queue::{ClaimedJob, JobOutcome, JobQueue, JobStatus, QueueConfig};
pub use source::{candidate_topics, BlobTextLoader, StoreDocumentSource, TEXT_OBJECT};
pub use worker::{DocumentFacts, DocumentSource, Worker, WorkerConfig};
