//! Pure decisions on one document. Facts from outside (the time, what the blob store holds, the
//! sniffed type, whether a folder still exists) are passed in by the command handler.

use chrono::{DateTime, Utc};

use super::error::DocumentError;
use super::event::{DocumentEvent, DocumentReadEvent, Permission, RejectReason};
use super::state::{Access, Document, DocumentData, Status};
use crate::ids::{DocumentId, FolderId, ShareId, UserId};
use crate::name::{ByteSize, FileName};
use crate::personal::Personal;
use crate::storage::Storage;

/// How many users one document can be shared with.
pub const MAX_SHARES_PER_DOCUMENT: usize = 100;

type Decision = Result<Vec<DocumentEvent>, DocumentError>;

/// A new upload.
#[derive(Debug, Clone)]
pub struct RequestUpload {
    pub document_id: DocumentId,
    pub owner: UserId,
    pub filename: FileName,
    pub declared_content_type: String,
    pub size: ByteSize,
    pub sha256: Option<String>,
    pub folder_id: Option<FolderId>,
    pub expires_at: DateTime<Utc>,
    /// Where the bytes go: the owner's default backend, or DocuVault's own store.
    pub storage: Storage,
}

pub fn request_upload(state: &Document, cmd: RequestUpload) -> Decision {
    if state.data().is_some() {
        return Err(DocumentError::AlreadyExists);
    }
    Ok(vec![DocumentEvent::DocumentUploadRequested {
        document_id: cmd.document_id,
        owner_id: cmd.owner,
        filename: Personal::new(cmd.filename.into_string()),
        declared_content_type: cmd.declared_content_type,
        size_bytes: cmd.size.bytes(),
        sha256: cmd.sha256,
        folder_id: cmd.folder_id,
        expires_at: cmd.expires_at,
        storage: cmd.storage,
    }])
}

/// What the blob store holds for a pending upload, as the handler found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    /// Hex SHA-256 of the stored bytes, when known.
    pub sha256: Option<String>,
    /// Sniffed from the stored bytes.
    pub content_type: String,
}

/// Only the owner, and only within the pending state, may confirm. Returns the pending data so
/// the handler knows what to check.
pub fn confirmable(
    state: &Document,
    caller: UserId,
    now: DateTime<Utc>,
) -> Result<Option<&DocumentData>, DocumentError> {
    let d = owned(state, caller)?;
    match d.status {
        // Confirming twice is answered with the document, not an error.
        Status::Active | Status::Trashed => Ok(None),
        Status::Pending if now > d.upload_expires_at => Err(DocumentError::UploadExpired),
        Status::Pending => Ok(Some(d)),
        _ => Err(DocumentError::NotPending),
    }
}

/// Accepts the stored object when it is there and matches the declaration.
pub fn confirm_upload(
    state: &Document,
    caller: UserId,
    stored: Option<&StoredObject>,
    now: DateTime<Utc>,
) -> Decision {
    let Some(d) = confirmable(state, caller, now)? else {
        return Ok(vec![]);
    };
    let stored = stored.ok_or(DocumentError::UploadRejected(RejectReason::ObjectMissing))?;
    if stored.size != d.size_bytes {
        return Err(DocumentError::UploadRejected(RejectReason::SizeMismatch));
    }
    if let (Some(declared), Some(actual)) = (&d.sha256, &stored.sha256) {
        if !declared.eq_ignore_ascii_case(actual) {
            return Err(DocumentError::UploadRejected(
                RejectReason::ChecksumMismatch,
            ));
        }
    }
    Ok(vec![DocumentEvent::DocumentUploaded {
        content_type: stored.content_type.clone(),
        size_bytes: stored.size,
        sha256: stored.sha256.clone().or_else(|| d.sha256.clone()),
    }])
}

/// Records a failed confirmation; a no-op unless the upload is still pending.
pub fn reject_upload(state: &Document, reason: RejectReason) -> Decision {
    Ok(match state.data() {
        Some(d) if d.status == Status::Pending => {
            vec![DocumentEvent::DocumentUploadRejected { reason }]
        }
        _ => vec![],
    })
}

/// Abandons a pending upload whose URL expired; a no-op otherwise (it may have been confirmed).
pub fn expire_upload(state: &Document, now: DateTime<Utc>) -> Decision {
    Ok(match state.data() {
        Some(d) if d.status == Status::Pending && now > d.upload_expires_at => {
            vec![DocumentEvent::DocumentUploadExpired {}]
        }
        _ => vec![],
    })
}

pub fn rename(state: &Document, caller: UserId, filename: FileName) -> Decision {
    let d = active_owned(state, caller)?;
    if d.filename.value().map(String::as_str) == Some(filename.as_str()) {
        return Ok(vec![]);
    }
    Ok(vec![DocumentEvent::DocumentRenamed {
        filename: Personal::new(filename.into_string()),
    }])
}

/// `folder_id` must already be known to exist in the owner's tree (checked by the handler).
pub fn move_to(state: &Document, caller: UserId, folder_id: Option<FolderId>) -> Decision {
    let d = active_owned(state, caller)?;
    if d.folder_id == folder_id {
        return Ok(vec![]);
    }
    Ok(vec![DocumentEvent::DocumentMoved { folder_id }])
}

pub fn trash(state: &Document, caller: UserId, now: DateTime<Utc>) -> Decision {
    let d = owned(state, caller)?;
    match d.status {
        Status::Active => Ok(vec![DocumentEvent::DocumentTrashed { trashed_at: now }]),
        Status::Trashed => Ok(vec![]),
        _ => Err(DocumentError::NotUploaded),
    }
}

/// Back where it was, or to the top level when `folder_still_exists` is false.
pub fn restore(state: &Document, caller: UserId, folder_still_exists: bool) -> Decision {
    let d = owned(state, caller)?;
    match d.status {
        Status::Trashed => Ok(vec![DocumentEvent::DocumentRestored {
            folder_id: d.folder_id.filter(|_| folder_still_exists),
        }]),
        _ => Err(DocumentError::NotTrashed),
    }
}

/// Purge by the owner, from the trash.
pub fn purge(state: &Document, caller: UserId) -> Decision {
    let d = owned(state, caller)?;
    match d.status {
        Status::Trashed => Ok(vec![DocumentEvent::DocumentPurged {
            size_bytes: d.size_bytes,
        }]),
        _ => Err(DocumentError::NotTrashed),
    }
}

/// Purge by the system once a document has been in the trash for `retention`; a no-op otherwise.
pub fn auto_purge(state: &Document, now: DateTime<Utc>, retention: chrono::Duration) -> Decision {
    Ok(match state.data() {
        Some(d)
            if d.status == Status::Trashed
                && d.trashed_at.is_some_and(|t| t + retention <= now) =>
        {
            vec![DocumentEvent::DocumentPurged {
                size_bytes: d.size_bytes,
            }]
        }
        _ => vec![],
    })
}

/// The owner, or a recipient whose share allows downloading. The audit event goes to the
/// document's reads stream (see [`DocumentReadEvent`]).
pub fn download(state: &Document, caller: UserId) -> Result<DocumentReadEvent, DocumentError> {
    match state.access(caller) {
        Access::None => Err(DocumentError::NotFound),
        Access::Recipient(Permission::View) => Err(DocumentError::DownloadNotPermitted),
        Access::Owner | Access::Recipient(Permission::Download) => {
            let d = state.data().expect("visible documents exist");
            match d.status {
                Status::Active => Ok(DocumentReadEvent::DocumentDownloaded { by: caller }),
                Status::Trashed => Err(DocumentError::Trashed),
                _ => Err(DocumentError::NotUploaded),
            }
        }
    }
}

pub fn share(
    state: &Document,
    caller: UserId,
    share_id: ShareId,
    recipient: UserId,
    permission: Permission,
) -> Decision {
    let d = active_owned(state, caller)?;
    if recipient == d.owner {
        return Err(DocumentError::ShareWithSelf);
    }
    if d.shares.values().any(|s| s.recipient == recipient) {
        return Err(DocumentError::AlreadyShared);
    }
    if d.shares.len() >= MAX_SHARES_PER_DOCUMENT {
        return Err(DocumentError::TooManyShares(MAX_SHARES_PER_DOCUMENT));
    }
    Ok(vec![DocumentEvent::DocumentShared {
        share_id,
        recipient_id: recipient,
        permission,
    }])
}

pub fn revoke(state: &Document, caller: UserId, share_id: ShareId) -> Decision {
    let d = owned(state, caller)?;
    let share = d
        .shares
        .get(&share_id)
        .ok_or(DocumentError::ShareNotFound)?;
    Ok(vec![DocumentEvent::ShareRevoked {
        share_id,
        recipient_id: share.recipient,
    }])
}

/// The document, when the caller owns it; a recipient learns it is the owner's business, anyone
/// else that it does not exist.
fn owned(state: &Document, caller: UserId) -> Result<&DocumentData, DocumentError> {
    match state.access(caller) {
        Access::Owner => Ok(state.data().expect("visible documents exist")),
        Access::Recipient(_) => Err(DocumentError::OwnerOnly),
        Access::None => Err(DocumentError::NotFound),
    }
}

fn active_owned(state: &Document, caller: UserId) -> Result<&DocumentData, DocumentError> {
    let d = owned(state, caller)?;
    match d.status {
        Status::Active => Ok(d),
        Status::Trashed => Err(DocumentError::Trashed),
        _ => Err(DocumentError::NotUploaded),
    }
}
