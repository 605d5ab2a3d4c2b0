//! The document-intelligence area's HTTP support and wiring: the processing worker, topic reads,
//! error mapping, and the DTOs of `routes::{topics, search, document_topics}`.

pub mod classifier;
pub mod dto;
pub mod errors;
pub mod listing;
pub mod topics;
pub mod worker;
