//! Search: the `search` projection (documents, shares, extracted text, topics folded into
//! `search_documents` and `search_shares`) and the query port that reads those tables.
//!
//! - [`apply`]: the projection, and the [`TextLoader`] port it reads extracted text through.
//! - [`query`]: what a search asks and answers, and the [`SearchReader`] trait; its PostgreSQL
//!   implementation is `infra::readmodels::search`.

pub mod apply;
pub mod query;

pub use apply::{SearchProjection, TextLoadError, TextLoader};
pub use query::{SearchHit, SearchPage, SearchQuery, SearchReader, Strategy};
