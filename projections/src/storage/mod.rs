//! The storage backends read model: [`apply`] folds the users' `StorageBackend*` events into the
//! `storage_backends` table; [`query`] is the port the API reads it through (with each backend's
//! credential status, kept beside the credentials), implemented over PostgreSQL in
//! `infra::readmodels::storage`.

pub mod apply;
pub mod query;

pub use apply::StorageProjection;
pub use query::{BackendRow, StorageReads};
