//! The topics query port: the rows of the `topics` table a user may see, and a document's row of
//! `document_processing` (its status and topics), as the topic API reads them. The PostgreSQL
//! implementation is `infra::readmodels::topics::PgTopics`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One row of `topics`. `owner_id` is `None` for a system topic; `name` is `None` once its
/// owner's data was erased.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TopicRow {
    pub topic_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub name: Option<String>,
    pub keywords: Vec<String>,
    pub shadows: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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

/// Why a topics read failed: the store behind the port did (the cause is kept as the source).
#[derive(Debug, thiserror::Error)]
pub enum TopicsReadError {
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Reads of the topics read model. Every method reads committed read-model state only (callers
/// wait for the projections first when they need their own writes reflected).
#[async_trait]
pub trait TopicsQuery: Send + Sync {
    /// The topics `user` sees: their own and the system topics they have not shadowed, ordered by
    /// lower-cased name, then id.
    async fn visible_topics(&self, user: Uuid) -> Result<Vec<TopicRow>, TopicsReadError>;

    /// Topic `id` if it is `user`'s own or a system topic (shadowed or not: an admin can edit it
    /// and a shadow can be created for it); `None` otherwise.
    async fn topic(&self, user: Uuid, id: Uuid) -> Result<Option<TopicRow>, TopicsReadError>;

    /// The ids among `ids` that `user` may not assign (not visible to them, or missing), in the
    /// order given.
    async fn unknown_topics(&self, user: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>, TopicsReadError>;

    /// The document's processing row; `None` before the projection saw its upload. The caller
    /// has checked that the user may see the document.
    async fn document_processing(
        &self,
        document: Uuid,
    ) -> Result<Option<ProcessingRow>, TopicsReadError>;
}
