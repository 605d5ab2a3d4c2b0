//! The document aggregate's state, folded from its events, and who may see it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::event::{DocumentEvent, Permission};
use crate::aggregate::Aggregate;
use crate::ids::{DocumentId, FolderId, ShareId, UserId};
use crate::personal::Personal;
use crate::storage::Storage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Upload URL issued, bytes not confirmed.
    Pending,
    Active,
    Trashed,
    Purged,
    /// Confirmation failed (terminal).
    Rejected,
    /// Never confirmed (terminal).
    Expired,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Trashed => "trashed",
            Status::Purged => "purged",
            Status::Rejected => "rejected",
            Status::Expired => "expired",
        }
    }

    /// Terminal states have no bytes and are invisible to everyone.
    pub fn is_gone(&self) -> bool {
        matches!(self, Status::Purged | Status::Rejected | Status::Expired)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub recipient: UserId,
    pub permission: Permission,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentData {
    pub id: DocumentId,
    pub owner: UserId,
    pub filename: Personal<String>,
    pub content_type: String,
    pub size_bytes: u64,
    pub sha256: Option<String>,
    pub folder_id: Option<FolderId>,
    pub status: Status,
    pub upload_expires_at: DateTime<Utc>,
    pub trashed_at: Option<DateTime<Utc>>,
    /// Active shares only: a revoked share is removed.
    pub shares: BTreeMap<ShareId, Share>,
    /// Where the bytes are.
    pub storage: Storage,
}

/// How a user relates to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Owner,
    Recipient(Permission),
    /// Not visible: answered exactly like a missing document.
    None,
}

/// `None` until the upload is requested.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document(pub Option<DocumentData>);

impl Document {
    pub fn data(&self) -> Option<&DocumentData> {
        self.0.as_ref()
    }

    /// The owner sees every non-terminal state; a recipient sees an active document they hold a
    /// share of; nobody else sees anything.
    pub fn access(&self, user: UserId) -> Access {
        let Some(d) = &self.0 else {
            return Access::None;
        };
        if d.status.is_gone() {
            return Access::None;
        }
        if d.owner == user {
            return Access::Owner;
        }
        if d.status != Status::Active {
            return Access::None;
        }
        d.shares
            .values()
            .find(|s| s.recipient == user)
            .map(|s| Access::Recipient(s.permission))
            .unwrap_or(Access::None)
    }
}

impl Aggregate for Document {
    type Event = DocumentEvent;
    const CATEGORY: &'static str = "document";

    fn evolve(self, event: &DocumentEvent) -> Self {
        use DocumentEvent::*;
        if let DocumentUploadRequested {
            document_id,
            owner_id,
            filename,
            declared_content_type,
            size_bytes,
            sha256,
            folder_id,
            expires_at,
            storage,
        } = event
        {
            return Document(Some(DocumentData {
                id: *document_id,
                owner: *owner_id,
                filename: filename.clone(),
                content_type: declared_content_type.clone(),
                size_bytes: *size_bytes,
                sha256: sha256.clone(),
                folder_id: *folder_id,
                status: Status::Pending,
                upload_expires_at: *expires_at,
                trashed_at: None,
                shares: BTreeMap::new(),
                storage: *storage,
            }));
        }
        let Some(mut d) = self.0 else {
            // Every other event follows the request; a stream never starts otherwise.
            return Document(None);
        };
        match event {
            DocumentUploadRequested { .. } => unreachable!("handled above"),
            DocumentUploaded {
                content_type,
                size_bytes,
                sha256,
            } => {
                d.content_type = content_type.clone();
                d.size_bytes = *size_bytes;
                d.sha256 = sha256.clone();
                d.status = Status::Active;
            }
            DocumentUploadRejected { .. } => d.status = Status::Rejected,
            DocumentUploadExpired {} => d.status = Status::Expired,
            DocumentRenamed { filename } => d.filename = filename.clone(),
            DocumentMoved { folder_id } => d.folder_id = *folder_id,
            DocumentTrashed { trashed_at } => {
                d.status = Status::Trashed;
                d.trashed_at = Some(*trashed_at);
            }
            DocumentRestored { folder_id } => {
                d.status = Status::Active;
                d.trashed_at = None;
                d.folder_id = *folder_id;
            }
            DocumentPurged { .. } => {
                d.status = Status::Purged;
                d.shares.clear();
            }
            DocumentShared {
                share_id,
                recipient_id,
                permission,
            } => {
                d.shares.insert(
                    *share_id,
                    Share {
                        recipient: *recipient_id,
                        permission: *permission,
                    },
                );
            }
            ShareRevoked { share_id, .. } => {
                d.shares.remove(share_id);
            }
        }
        Document(Some(d))
    }
}
