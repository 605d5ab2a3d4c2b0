//! Command handlers: one per use case. Each authorises, loads the stream(s), decides with the
//! pure domain functions, and appends with the expected version, retrying on a conflict.
//!
//! Depends on `domain` only. The facts a command needs from outside (blob sizes, read-model
//! lookups) come through the traits in each subject's `ports` module, implemented by the outer
//! crates (`infra`, and for the documents facts still `api/src/documents/facts.rs`); `api` calls
//! the handlers.

pub mod ai_settings;
pub mod audit;
pub mod context;
pub mod documents;
pub mod erasure;
pub mod error;
pub mod executor;
pub mod identity;
pub mod metrics;
pub mod processing;
pub mod storage;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod topic;

pub use context::{Actor, CommandContext, Role};
pub use error::CommandError;
pub use executor::{execute, load, Executed, Loaded};
