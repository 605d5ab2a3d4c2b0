//! The one error every read-model query port answers with: the store behind the port failed (its
//! cause kept as the source). A port's "not found" is an `Option`, never an error.

/// Why a read of a read model failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}
