//! What the document handlers need to ask outside the event log: read-model facts that no single
//! aggregate holds, and the user directory for `@handle`s.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::{DocumentId, FolderId, UserId};
use domain::StreamId;

#[derive(Debug, thiserror::Error)]
#[error("read model: {0}")]
pub struct FactsError(pub String);

/// Questions across many documents, answered from the documents read model. Answers may lag the
/// log by a moment; handlers use them only where that is harmless (a sweep re-checks each
/// document against its own stream before acting).
#[async_trait]
pub trait DocumentFacts: Send + Sync {
    /// Whether any active or pending document of `owner` sits directly in `folder`.
    async fn folder_holds_documents(
        &self,
        owner: UserId,
        folder: FolderId,
    ) -> Result<bool, FactsError>;

    /// The active documents of `owner` directly in any of `folders`.
    async fn active_documents_in(
        &self,
        owner: UserId,
        folders: &[FolderId],
    ) -> Result<Vec<DocumentId>, FactsError>;

    /// Pending uploads whose deadline passed before `before`, oldest first.
    async fn abandoned_uploads(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError>;

    /// Quota charges whose document is gone from the read model (purged, rejected, expired):
    /// `(owner, document, bytes)`. Left behind only by a crash between two appends.
    async fn orphaned_charges(
        &self,
        limit: usize,
    ) -> Result<Vec<(UserId, DocumentId, u64)>, FactsError>;

    /// Trashed documents trashed before `before`, oldest first.
    async fn trashed_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError>;
}

/// Looks users up by handle (for sharing).
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The active user with this handle (case-insensitive), if any.
    async fn find_by_handle(&self, handle: &str) -> Result<Option<UserId>, FactsError>;
}

/// Snapshots of aggregate state for streams that grow without bound (a user's quota stream gets
/// an event per upload and purge). A snapshot is a cache: losing one only costs a longer read.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// The latest snapshot of `stream`: the version it was taken at and the state as JSON.
    async fn load(&self, stream: &StreamId)
        -> Result<Option<(u64, serde_json::Value)>, FactsError>;

    /// Stores a snapshot unless a newer one is already there.
    async fn save(
        &self,
        stream: &StreamId,
        version: u64,
        state: serde_json::Value,
    ) -> Result<(), FactsError>;
}
