//! The document aggregate: upload, confirmation, organisation, trash, purge and shares.

pub mod decide;
pub mod error;
pub mod event;
pub mod sniff;
pub mod state;
#[cfg(test)]
mod tests;

pub use decide::MAX_SHARES_PER_DOCUMENT;
pub use error::DocumentError;
pub use event::{DocumentEvent, DocumentReadEvent, Permission, RejectReason, READS_CATEGORY};
pub use state::{Access, Document, DocumentData, Status};
