//! Document processing infrastructure: the PostgreSQL job queue the workers compete over, and
//! the worker that extracts, classifies and records.

mod queue;
mod worker;

pub use queue::{ClaimedJob, JobOutcome, JobQueue, JobStatus, QueueConfig};
pub use worker::{DocumentFacts, DocumentSource, Worker, WorkerConfig};
