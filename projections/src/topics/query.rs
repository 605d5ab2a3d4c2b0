//! The topics query port: the rows of the `topics` table a user may see, as the topic API reads
//! them. The PostgreSQL implementation is `infra::readmodels::topics::PgTopics`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ReadError;

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

/// Reads of the topics read model. Every method reads committed read-model state only (callers
/// wait for the projections first when they need their own writes reflected).
#[async_trait]
pub trait TopicsQuery: Send + Sync {
    /// The topics `user` sees: their own and the system topics they have not shadowed, ordered by
    /// lower-cased name, then id.
    async fn visible_topics(&self, user: Uuid) -> Result<Vec<TopicRow>, ReadError>;

    /// Topic `id` if it is `user`'s own or a system topic (shadowed or not: an admin can edit it
    /// and a shadow can be created for it); `None` otherwise.
    async fn topic(&self, user: Uuid, id: Uuid) -> Result<Option<TopicRow>, ReadError>;

    /// The ids among `ids` that `user` may not assign (not visible to them, or missing), in the
    /// order given.
    async fn unknown_topics(&self, user: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>, ReadError>;
}
