//! The storage backends query port: a user's backends as the storage API lists them. The
//! PostgreSQL implementation is `infra::readmodels::storage::PgStorageReads`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ReadError;

/// One backend, never with a credential. `display_name` and `endpoint_host` are `None` once the
/// owner's data was erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub kind: String,
    pub display_name: Option<String>,
    pub endpoint_host: Option<String>,
    pub is_default: bool,
    /// `ok`, `needs_reauth` or `unreachable`: what the last use of its credentials found.
    pub status: String,
    /// Documents stored on it, and their bytes.
    pub documents_count: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait StorageReads: Send + Sync {
    /// `owner`'s backends, oldest first.
    async fn backends(&self, owner: Uuid) -> Result<Vec<BackendRow>, ReadError>;

    /// Backend `id` when `owner` owns it; `None` otherwise (someone else's is as missing).
    async fn backend(&self, owner: Uuid, id: Uuid) -> Result<Option<BackendRow>, ReadError>;
}
