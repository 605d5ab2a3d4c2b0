//! The transient/permanent classification of database errors, shared by the runtime's error
//! (`error.rs`) and the projections' (`projection.rs`).

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
