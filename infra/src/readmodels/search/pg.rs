//! [`PgSearch`]: the search query port (`projections::search::SearchReader`) on PostgreSQL.

use async_trait::async_trait;
use projections::search::{SearchPage, SearchQuery, SearchReader};
use projections::ReadError;
use sqlx::PgPool;

/// Runs [`super::search`] on its pool. Give it the page-read pool (`crate::page_read_pool`):
/// the search statements' plans do not depend on their parameters, so they are planned once.
#[derive(Clone)]
pub struct PgSearch {
    pool: PgPool,
}

impl PgSearch {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl SearchReader for PgSearch {
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ReadError> {
        super::search(&self.pool, query)
            .await
            .map_err(crate::readmodels::database)
    }
}
