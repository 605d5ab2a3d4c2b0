//! Document processing infrastructure: the PostgreSQL job queue the workers compete over.

mod queue;

pub use queue::{ClaimedJob, JobOutcome, JobQueue, JobStatus, QueueConfig};
