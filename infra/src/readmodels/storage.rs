//! The storage backends read model, read for the storage API: the PostgreSQL implementation of
//! [`projections::storage::StorageReads`] over `storage_backends`, with each backend's credential
//! status from `cloud_credentials`.

use async_trait::async_trait;
use projections::storage::{BackendRow, StorageReads};
use projections::ReadError;
use sqlx::PgPool;
use uuid::Uuid;

/// [`StorageReads`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStorageReads {
    pool: PgPool,
}

impl PgStorageReads {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl PgStorageReads {
    /// `owner`'s backends, or only backend `id` of theirs, oldest first.
    async fn rows(&self, owner: Uuid, id: Option<Uuid>) -> Result<Vec<BackendRow>, ReadError> {
        // Counted from the documents read model (pending uploads and the trash included: their
        // bytes are on the backend too).
        sqlx::query_as!(
            BackendRow,
            r#"select b.id, b.owner_id, b.kind, b.display_name, b.endpoint_host, b.is_default,
                   coalesce(c.status, 'needs_reauth') as "status!",
                   coalesce(d.documents, 0) as "documents_count!",
                   coalesce(d.bytes, 0)::bigint as "bytes!", b.created_at
               from storage_backends b
               left join cloud_credentials c on c.user_id = b.owner_id and c.backend_id = b.id
               left join lateral (
                   select count(*) as documents, sum(size_bytes) as bytes from documents
                   where storage_backend_id = b.id and owner_id = b.owner_id
               ) d on true
               where b.owner_id = $1 and ($2::uuid is null or b.id = $2)
               order by b.created_at, b.id"#,
            owner,
            id
        )
        .fetch_all(&self.pool)
        .await
        .map_err(super::database)
    }
}

#[async_trait]
impl StorageReads for PgStorageReads {
    async fn backends(&self, owner: Uuid) -> Result<Vec<BackendRow>, ReadError> {
        self.rows(owner, None).await
    }

    async fn backend(&self, owner: Uuid, id: Uuid) -> Result<Option<BackendRow>, ReadError> {
        Ok(self.rows(owner, Some(id)).await?.pop())
    }
}
