//! DocuVault's domain: events, aggregates, pure decisions, and the ports the outer layers implement.
//!
//! Nothing in this crate performs I/O or depends on an async runtime; the compiler enforces that
//! (`tokio`, `sqlx` and `axum` are not dependencies).
//!
//! Every other crate may depend on it; it depends on none of them.

pub mod aggregate;
pub mod ai_settings;
pub mod audit;
pub mod blob;
pub mod chain;
pub mod classifier;
pub mod document;
pub mod event;
pub mod extraction;
pub mod folder;
pub mod ids;
pub mod known;
pub mod name;
pub mod personal;
pub mod ports;
pub mod processing;
pub mod quota;
pub mod storage;
#[cfg(test)]
mod testing;
pub mod topic;
pub mod user;

pub use aggregate::Aggregate;
pub use event::{
    Checkpoint, DomainEvent, EventMetadata, ExpectedVersion, NewEvent, RecordedEvent, StreamId,
};
pub use personal::Personal;
