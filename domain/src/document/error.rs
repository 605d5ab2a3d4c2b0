//! Why the document aggregate refuses a command.

use super::event::RejectReason;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Missing, or not visible to the caller: the two are indistinguishable on purpose.
    #[error("no such document")]
    NotFound,
    /// Visible to the caller (a share recipient) but the action is the owner's alone.
    #[error("only the owner may do this")]
    OwnerOnly,
    #[error("the document already exists")]
    AlreadyExists,
    #[error("the upload was already completed or abandoned")]
    NotPending,
    #[error("the upload URL has expired; request a new one")]
    UploadExpired,
    #[error("the upload was refused: {0:?}")]
    UploadRejected(RejectReason),
    #[error("the document is in the trash")]
    Trashed,
    #[error("the document is not in the trash")]
    NotTrashed,
    #[error("the upload is not complete yet")]
    NotUploaded,
    #[error("a document cannot be shared with its owner")]
    ShareWithSelf,
    #[error("the document is already shared with this user")]
    AlreadyShared,
    #[error("a document can be shared with at most {0} users")]
    TooManyShares(usize),
    #[error("no such share")]
    ShareNotFound,
    #[error("the share does not allow downloading")]
    DownloadNotPermitted,
}
