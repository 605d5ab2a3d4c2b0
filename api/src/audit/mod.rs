//! The audit log as compliance officers read it: selecting entries through the `audit` read
//! model, rendering them (summary, decrypted or `[erased]` personal data), exports with a signed
//! manifest, and point-in-time replay.

pub mod cli;
pub mod entries;
pub mod export;
pub mod replay;
pub mod select;
pub mod summary;
pub mod verify;

pub use entries::{render, AuditEntry, UserRef};
pub use select::{IndexRow, Order, Selection};
