//! Route modules, each exposing `fn router() -> OpenApiRouter<AppState>`, merged in `crate::app`.

pub mod blobs;
pub mod health;
