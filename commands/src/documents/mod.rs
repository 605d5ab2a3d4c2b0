//! Document, folder, share and quota use cases. Each handler authorises against the aggregate it
//! loads, decides with the pure domain functions, appends with the expected version (retrying on
//! conflict), and only then touches the blob store.

pub mod download;
pub mod error;
pub mod folders;
pub mod manage;
pub mod ports;
pub mod quota;
pub mod share;
pub mod sweep;
#[cfg(test)]
pub(crate) mod tests;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use domain::blob::BlobStore;

pub use error::DocError;
pub use ports::{DocumentFacts, FactsError, SnapshotStore, UserDirectory};

/// Limits and lifetimes, from configuration.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// Quota of a user whose limit no admin has set.
    pub default_quota_bytes: u64,
    /// The largest single document.
    pub max_document_bytes: u64,
    /// How long a presigned upload URL is valid.
    pub upload_url_lifetime: Duration,
    /// How long after the upload URL expires an unconfirmed upload is abandoned.
    pub upload_grace: Duration,
    /// How long a presigned download URL is valid.
    pub download_url_lifetime: Duration,
    /// Trashed documents are purged automatically after this long.
    pub trash_retention: Duration,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            default_quota_bytes: 100 * 1024 * 1024,
            max_document_bytes: 5 * 1024 * 1024 * 1024,
            upload_url_lifetime: Duration::from_secs(15 * 60),
            upload_grace: Duration::from_secs(15 * 60),
            download_url_lifetime: Duration::from_secs(5 * 60),
            trash_retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// What the document handlers need besides the `CommandContext`.
#[derive(Clone)]
pub struct DocumentServices {
    pub blobs: Arc<dyn BlobStore>,
    pub facts: Arc<dyn DocumentFacts>,
    pub users: Arc<dyn UserDirectory>,
    pub snapshots: Arc<dyn SnapshotStore>,
    pub settings: DocumentSettings,
}

/// A command's result plus the consistency token (`None` when nothing was appended).
#[derive(Debug, Clone)]
pub struct Done<T> {
    pub value: T,
    pub position: Option<u64>,
}

impl<T> Done<T> {
    pub fn new(value: T, position: Option<u64>) -> Self {
        Self { value, position }
    }

    /// Keeps the later of two positions (a handler that appended to several streams).
    pub fn after(mut self, other: Option<u64>) -> Self {
        self.position = self.position.max(other);
        self
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
