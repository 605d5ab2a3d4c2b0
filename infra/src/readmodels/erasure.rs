//! The documents an account owns, read for erasure: the PostgreSQL implementation of
//! [`commands::erasure::OwnedDocuments`] over the `documents` read model and the audit index's
//! `audit_document_owners` (which also knows documents whose upload never completed).

use async_trait::async_trait;
use commands::erasure::{OwnedDocuments, OwnedDocumentsError};
use domain::ids::{DocumentId, UserId};
use sqlx::PgPool;
use uuid::Uuid;

/// [`OwnedDocuments`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgOwnedDocuments {
    pool: PgPool,
}

impl PgOwnedDocuments {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OwnedDocuments for PgOwnedDocuments {
    async fn owned_by(&self, user: UserId) -> Result<Vec<DocumentId>, OwnedDocumentsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar!(
            r#"select id as "id!" from documents where owner_id = $1
               union select document_id from audit_document_owners where owner_id = $1"#,
            user.as_uuid()
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| OwnedDocumentsError::Database(Box::new(e)))?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }
}
