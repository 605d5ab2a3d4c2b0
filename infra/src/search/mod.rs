//! Full-text search: the `search` projection (documents, shares, extracted text, topics) and the
//! ranked, highlighted, permission-checked query over it.

mod projection;
mod query;

pub use projection::{SearchProjection, TextLoader};
pub use query::{search, SearchHit, SearchPage, SearchQuery};
