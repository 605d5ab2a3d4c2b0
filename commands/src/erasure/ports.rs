//! What erasure needs from the read side: every document an account ever owned.

use async_trait::async_trait;
use domain::ids::{DocumentId, UserId};

/// Why the owned documents could not be listed: the store behind the port failed (its cause kept
/// as the source). It reads as `projections::ReadError::Database` does (`database: …`); `commands`
/// does not depend on `projections`.
#[derive(Debug, thiserror::Error)]
pub enum OwnedDocumentsError {
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Finds the documents to purge when an account is erased.
///
/// The answer must include documents whose upload never completed (they still hold bytes), so an
/// implementation reads every read model that knows a document's owner, not only the document
/// list. Duplicates are not expected; order does not matter.
#[async_trait]
pub trait OwnedDocuments: Send + Sync {
    async fn owned_by(&self, user: UserId) -> Result<Vec<DocumentId>, OwnedDocumentsError>;
}
