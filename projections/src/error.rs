//! The runtime's error type and the transient/permanent classification of database errors.

use domain::ports::StoreError;

use crate::projection::ProjectionError;

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

/// Connection-level failures, serialization failures (40001) and deadlocks (40P01) can succeed
/// when retried; errors the server reports about the statement itself cannot.
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("40001") | Some("40P01") | Some("57P01") | Some("57P02") | Some("57P03")
        ),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_) => true,
        _ => false,
    }
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
