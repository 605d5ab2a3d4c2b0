//! Document processing infrastructure: the reactor that enqueues jobs from the log, the
//! PostgreSQL job queue the workers compete over, and the worker that extracts, classifies and
//! records.

mod queue;
mod reactor;
mod worker;

pub use queue::{ClaimedJob, JobOutcome, JobQueue, JobStatus, QueueConfig};
pub use reactor::ProcessingReactor;
pub use worker::{DocumentFacts, DocumentSource, Worker, WorkerConfig};
