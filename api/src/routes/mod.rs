//! Route modules, each exposing `fn router() -> OpenApiRouter<AppState>`, merged in `crate::app`.

pub mod admin_users;
pub mod auth;
pub mod blobs;
pub mod documents;
pub mod folders;
pub mod health;
pub mod quota;
pub mod shares;
pub mod trash;
