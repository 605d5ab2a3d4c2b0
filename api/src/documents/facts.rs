//! The command handlers' read-model questions (`DocumentFacts`) and the user directory, answered
//! with SQL on the read tables.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commands::documents::{DocumentFacts, FactsError, UserDirectory};
use domain::ids::{DocumentId, FolderId, UserId};
use sqlx::PgPool;
use uuid::Uuid;

fn err(e: sqlx::Error) -> FactsError {
    FactsError(e.to_string())
}

#[derive(Clone)]
pub struct SqlFacts {
    pub pool: PgPool,
}

#[async_trait]
impl DocumentFacts for SqlFacts {
    async fn folder_holds_documents(
        &self,
        owner: UserId,
        folder: FolderId,
    ) -> Result<bool, FactsError> {
        sqlx::query_scalar(
            "select exists(select 1 from documents where owner_id = $1 \
             and state in ('active', 'pending') and folder_key = $2)",
        )
        .bind(owner.as_uuid())
        .bind(folder.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(err)
    }

    async fn active_documents_in(
        &self,
        owner: UserId,
        folders: &[FolderId],
    ) -> Result<Vec<DocumentId>, FactsError> {
        let keys: Vec<Uuid> = folders.iter().map(|f| f.as_uuid()).collect();
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "select id from documents where owner_id = $1 and state = 'active' \
             and folder_key = any($2)",
        )
        .bind(owner.as_uuid())
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }

    async fn abandoned_uploads(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "select id from documents where state = 'pending' and upload_expires_at < $1 \
             order by upload_expires_at limit $2",
        )
        .bind(before)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }

    async fn orphaned_charges(
        &self,
        limit: usize,
    ) -> Result<Vec<(UserId, DocumentId, u64)>, FactsError> {
        let rows: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
            "select c.user_id, c.document_id, c.size_bytes from quota_charges c \
             where not exists (select 1 from documents d where d.id = c.document_id) \
             order by c.charged_at limit $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(rows
            .into_iter()
            .map(|(u, d, n)| (UserId(u), DocumentId(d), n.max(0) as u64))
            .collect())
    }

    async fn trashed_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "select id from documents where state = 'trashed' and trashed_at < $1 \
             order by trashed_at limit $2",
        )
        .bind(before)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }
}

/// Users by handle, from the identity read model (`users`).
#[derive(Clone)]
pub struct SqlUsers {
    pub pool: PgPool,
}

impl SqlUsers {
    /// Handles of the given users; users without a row (erased) are left out.
    pub async fn handles(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Uuid, String)> =
            sqlx::query_as("select id, handle from users where id = any($1)")
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }
}

#[async_trait]
impl UserDirectory for SqlUsers {
    async fn find_by_handle(&self, handle: &str) -> Result<Option<UserId>, FactsError> {
        let id: Option<Uuid> =
            sqlx::query_scalar("select id from users where lower(handle) = lower($1)")
                .bind(handle)
                .fetch_optional(&self.pool)
                .await
                .map_err(err)?;
        Ok(id.map(UserId))
    }
}
