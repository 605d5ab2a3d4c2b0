//! The document use cases' business rejections, one enum over the aggregates they touch.

use domain::document::DocumentError;
use domain::folder::FolderError;
use domain::name::NameError;
use domain::quota::QuotaError;

use crate::error::CommandError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error("invalid name: {0}")]
    Name(#[from] NameError),
    /// A size over the per-document maximum.
    #[error("a document can be at most {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("no user with this handle")]
    RecipientNotFound,
    #[error("invalid SHA-256: expected 64 hex digits")]
    InvalidChecksum,
}

pub type DocResult<T> = Result<T, CommandError<DocError>>;

/// Lifts an aggregate's error into the use-case error.
pub fn lift<E: Into<DocError>>(e: CommandError<E>) -> CommandError<DocError> {
    e.map_domain(Into::into)
}

pub fn infra(e: impl std::error::Error + Send + Sync + 'static) -> CommandError<DocError> {
    CommandError::Infra(Box::new(e))
}
