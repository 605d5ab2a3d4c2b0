//! Full-text search: the `search` projection (documents, shares, extracted text, topics) and the
//! ranked, highlighted, permission-checked query over it.

mod english;
mod projection;
mod query;
mod snippet;
mod stats;
mod strategy;

pub use projection::{SearchProjection, TextLoader};
pub use query::{search, SearchHit, SearchPage, SearchQuery, TIERS};
pub use strategy::Strategy;
