//! PostgreSQL implementations of the read models' query ports. Each subject's port (the trait and
//! the rows it answers) lives beside the projection that writes its tables, in
//! `projections::<subject>::query`, or beside the command that asks it (`commands::documents`'
//! facts, `commands::erasure::OwnedDocuments`); its SQL lives here, one file per subject.

pub mod audit;
pub mod documents;
pub mod erasure;
pub mod processing;
pub mod search;
pub mod storage;
pub mod topics;
pub mod users;

/// A failed statement as the ports report it (the sqlx error kept as the source).
pub(crate) fn database(e: sqlx::Error) -> projections::ReadError {
    projections::ReadError::Database(Box::new(e))
}

/// `s` as a literal inside a `LIKE` pattern (PostgreSQL's default escape character, a backslash).
pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
