//! DocuVault's HTTP API: axum routers, extractors, DTOs, OpenAPI, SPA serving; and the pieces the
//! `docuvault` binary's subcommands are made of.
//!
//! The outermost crate; nothing depends on it but the tests. Handlers reach the core through
//! `commands` and the ports in `AppState` (the documents, topics, processing and search read
//! models so far), whose adapters `wiring` builds. Not yet everywhere: the audit and identity
//! reads still run SQL here (`audit/`, some routes) and some routes call `infra` directly;
//! issue 19 moves them behind ports.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod consistency;
pub mod documents;
pub mod error;
pub mod extract;
pub mod intelligence;
pub mod json;
pub mod legacy_import;
pub mod routes;
pub mod run;
pub mod secrets;
pub mod state;
pub mod wiring;

pub use app::Application;
pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use state::AppState;
