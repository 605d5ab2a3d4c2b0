//! Adapters behind DocuVault's ports: PostgreSQL event store and key ring, blob stores, the
//! embedded PostgreSQL cluster used by `docuvault dev` and the tests.

pub mod auth;
pub mod blob;
pub mod classify;
pub mod eventstore;
pub mod extract;
pub mod pgcluster;
pub mod processing;
pub mod search;
pub mod snapshots;

/// Applies every migration in `migrations/` (event store and read models).
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}
