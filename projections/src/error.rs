//! The runtime's error type; whether one is worth retrying ([`is_transient`], from `transient.rs`).

use domain::ports::StoreError;

use crate::projection::ProjectionError;
pub use crate::transient::is_transient;

/// Why the runtime, a rebuild or a status query failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// Another process advanced or took over the projection (the fencing check failed).
    #[error("lost the leadership of projection {0}")]
    LostLeadership(String),
    #[error("unknown projection {0}")]
    UnknownProjection(String),
    /// A rebuild failed; the live tables are untouched.
    #[error("rebuild of {name} failed: {reason}")]
    RebuildFailed { name: String, reason: String },
    /// The configuration is unusable (invalid name, duplicate projection, unsupported table).
    #[error("{0}")]
    Invalid(String),
    #[error("shut down")]
    ShutDown,
}

impl RuntimeError {
    /// Whether retrying may succeed (see [`is_transient`]).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => is_transient(e),
            Self::Projection(e) => e.is_transient(),
            Self::Store(_) => true,
            _ => false,
        }
    }
}
