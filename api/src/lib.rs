//! DocuVault's HTTP API: axum routers, extractors, DTOs, OpenAPI, SPA serving; and the pieces the
//! `docuvault` binary's subcommands are made of.
//!
//! The outermost crate; nothing depends on it but the tests. Handlers reach the core through
//! `commands` and the ports in `AppState` (every read model: documents, identity, audit, topics,
//! processing, search; the projections' operations), whose adapters `wiring` builds; `api` runs
//! no SQL and does not depend on sqlx. Still used from `infra` directly outside `wiring`: the
//! auth primitives (token signing, password hashing), the audit chain's canonical hashing, the
//! processing worker and classifier builders, and the operator commands in `run` (issue 19
//! leaves these for a later step).

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
