//! The processing read model: [`apply`] folds `processing-…` streams into `document_processing`;
//! [`query`] is the port the API reads a document's row through, implemented over PostgreSQL in
//! `infra::readmodels::processing`.

pub mod apply;
pub mod query;

pub(crate) use apply::ids;
pub use apply::ProcessingProjection;
pub use query::{ProcessingQuery, ProcessingRow};
