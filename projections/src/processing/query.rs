//! The processing query port: a document's row of `document_processing` (its processing status,
//! extraction and topics), as the topic API reads it. The PostgreSQL implementation is
//! `infra::readmodels::processing::PgProcessing`.

use async_trait::async_trait;
use uuid::Uuid;

use crate::ReadError;

/// The parts of a document's `document_processing` row the API answers with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProcessingRow {
    /// `pending`, `ready` or `error` (the processing run's own status).
    pub status: String,
    pub topic_ids: Vec<Uuid>,
    pub suggested: Vec<Uuid>,
    pub topics_source: Option<String>,
    pub extraction: Option<String>,
    pub provider: Option<String>,
    pub fell_back: Option<bool>,
    pub last_error: Option<String>,
}

/// Reads of the processing read model (committed state only).
#[async_trait]
pub trait ProcessingQuery: Send + Sync {
    /// The document's processing row; `None` before the projection saw its upload. The caller
    /// has checked that the user may see the document.
    async fn document_processing(&self, document: Uuid)
        -> Result<Option<ProcessingRow>, ReadError>;

    /// Open jobs of the queue the reactor feeds, as `(pending, processing)`, across every worker
    /// (what `/metrics` exports).
    async fn queue_depth(&self) -> Result<(u64, u64), ReadError>;
}
