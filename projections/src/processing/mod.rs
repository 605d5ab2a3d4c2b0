//! Document processing's read side: [`apply`] folds `processing-…` streams into
//! `document_processing` (each document's status, extraction result and topics); [`query`] is the
//! port the API reads a document's row through, implemented over PostgreSQL in
//! `infra::readmodels::processing`; [`reactor`] feeds the processing job queue from the log. The
//! queue's claims and leases (what the workers do with the jobs) are infrastructure:
//! `infra::processing`.

pub mod apply;
pub mod query;
mod reactor;

pub(crate) use apply::ids;
pub use apply::ProcessingProjection;
pub use query::{ProcessingQuery, ProcessingRow};
pub use reactor::{enqueue, ProcessingReactor};
