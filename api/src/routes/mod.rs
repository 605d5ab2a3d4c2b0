//! Route modules, each exposing `fn router() -> OpenApiRouter<AppState>`, merged in `crate::app`.

pub mod admin_erase;
pub mod admin_projections;
pub mod admin_users;
pub mod ai_settings;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod document_topics;
pub mod documents;
pub mod folders;
pub mod health;
pub mod quota;
pub mod search;
pub mod shares;
pub mod storage;
pub mod topics;
pub mod trash;
