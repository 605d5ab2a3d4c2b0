//! The one error every read-model query port answers with: the caller's listing parameters are not
//! ones the port knows (answered as 400s), or the store behind the port failed (its cause kept as
//! the source). A port's "not found" is an `Option`, never an error.

/// Why a read of a read model failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A listing's sort order the port does not know.
    #[error("sort must be one of created_at, filename, size_bytes, optionally prefixed with `-`.")]
    InvalidSort,
    /// Not a cursor this port handed out.
    #[error("The cursor is not valid.")]
    InvalidCursor,
    /// A cursor of a listing in another sort order.
    #[error("The cursor belongs to another sort order.")]
    CursorOfAnotherSort,
    /// The store behind the port failed.
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}
