//! The document aggregate's events (stream `document-<id>`), shares included: a share's life is
//! bound to its document's, and checking access against one stream keeps revocation immediate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::DomainEvent;
use crate::ids::{DocumentId, FolderId, ShareId, UserId};
use crate::personal::Personal;
use crate::storage::Storage;

/// What a recipient may do with a shared document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Metadata only.
    View,
    /// Metadata and the bytes.
    Download,
}

impl Permission {
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::View => "view",
            Permission::Download => "download",
        }
    }
}

/// Why an upload was refused at confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    ObjectMissing,
    SizeMismatch,
    ChecksumMismatch,
    QuotaExceeded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DocumentEvent {
    /// An upload URL was handed out; the bytes are not there yet.
    DocumentUploadRequested {
        document_id: DocumentId,
        owner_id: UserId,
        filename: Personal<String>,
        /// As the client declared it; replaced by the sniffed type on confirmation.
        declared_content_type: String,
        size_bytes: u64,
        /// Hex SHA-256 the client declared, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        folder_id: Option<FolderId>,
        /// After this the upload is abandoned: the sweeper expires it and removes the object.
        expires_at: DateTime<Utc>,
        /// Where the bytes go (schema version 2; version 1 events were all `"local"`).
        storage: Storage,
    },
    /// The bytes are stored, verified and paid for from the owner's quota.
    DocumentUploaded {
        /// Sniffed from the bytes.
        content_type: String,
        size_bytes: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    /// Confirmation failed; the object was removed and no quota was spent.
    DocumentUploadRejected {
        reason: RejectReason,
    },
    /// Never confirmed in time; the object (if any) was removed.
    DocumentUploadExpired {},
    DocumentRenamed {
        filename: Personal<String>,
    },
    DocumentMoved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        folder_id: Option<FolderId>,
    },
    DocumentTrashed {
        trashed_at: DateTime<Utc>,
    },
    DocumentRestored {
        /// Where it went back to: its folder, or the top level when that folder is gone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        folder_id: Option<FolderId>,
    },
    /// Bytes deleted for good; the quota is released by a `QuotaReleased` on the quota stream.
    DocumentPurged {
        size_bytes: u64,
    },
    DocumentShared {
        share_id: ShareId,
        recipient_id: UserId,
        permission: Permission,
    },
    ShareRevoked {
        share_id: ShareId,
        recipient_id: UserId,
    },
}

impl DomainEvent for DocumentEvent {
    fn schema_version(&self) -> u32 {
        match self {
            DocumentEvent::DocumentUploadRequested { .. } => 2,
            _ => 1,
        }
    }

    /// Version 1 of `DocumentUploadRequested` predates cloud storage: its bytes are local.
    fn upcast(
        event_type: &str,
        schema_version: u32,
        mut data: serde_json::Value,
    ) -> serde_json::Value {
        if event_type == "DocumentUploadRequested" && schema_version < 2 {
            if let Some(fields) = data.as_object_mut() {
                fields
                    .entry("storage")
                    .or_insert_with(|| Storage::LOCAL.into());
            }
        }
        data
    }
}

/// The stream category of a document's read audit, `document_reads-<document_id>`: downloads are
/// recorded apart from the document's own stream, so that reads never contend with changes and
/// loading the document stays cheap however often it is downloaded.
pub const READS_CATEGORY: &str = "document_reads";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DocumentReadEvent {
    /// Reads are audited too. The event's metadata (client address, user agent) is the
    /// downloader's personal data and is encrypted with the downloader's key.
    DocumentDownloaded { by: UserId },
}

impl DomainEvent for DocumentReadEvent {}
