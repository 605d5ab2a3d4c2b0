//! Why a topic command is refused.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("invalid topic name: {0}")]
    InvalidName(&'static str),
    #[error("invalid keywords: {0}")]
    InvalidKeywords(&'static str),
    /// Missing, deleted, or not the caller's to change (no existence leak).
    #[error("topic not found")]
    NotFound,
    /// A create with an id that is already taken.
    #[error("topic already exists")]
    AlreadyExists,
    /// Only admins create system topics, and a user topic can only shadow a system topic.
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
}
