//! The topics read model: [`apply`] folds `topic-…` streams into the `topics` table; [`query`] is
//! the port the API reads it through, implemented over
//! PostgreSQL in `infra::readmodels::topics`.

pub mod apply;
pub mod query;

pub use apply::TopicsProjection;
pub use query::{TopicRow, TopicsQuery};
