//! The event log's tamper evidence, as a format: every stored event is hashed with its stream's
//! previous hash over canonical bytes ([`canonical`]), and [`verify`] recomputes the chains from
//! any backend's sealed events through the event-log port. The stores (`infra::eventstore`)
//! write the hashes; the audit export and `docuvault audit verify` check them.

pub mod canonical;
pub mod verify;

pub use verify::{verify_events, verify_store, BreakKind, ChainBreak, VerifyReport};
