//! The audit log as compliance officers read it: selecting entries through the audit index's
//! port (`projections::audit::query`), reading them from the log through the event-store port
//! (so every tool here runs on any backend), rendering them (summary, decrypted or `[erased]` personal data), exports with a signed
//! manifest, and point-in-time replay.

pub mod cli;
pub mod entries;
pub mod export;
pub mod replay;
pub mod summary;
pub mod verify;

pub use entries::{render, AuditEntry, UserRef};
pub use projections::audit::query::{IndexRow, Selection};
