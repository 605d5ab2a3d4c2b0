//! The projections as an operator drives them through the API: their status (lag measured
//! against the log through the event-log port, so it holds for any backend), rebuild requests,
//! resuming a halted one, and whether the read-model database answers. One handle, built in the
//! API's wiring, so the API holds no pool of its own.

use std::sync::Arc;

use chrono::Utc;
use domain::ports::{EventStore, StoreError};
use sqlx::PgPool;

use crate::error::RuntimeError;
use crate::status::{self, ProjectionStatus};

/// The projections' operator surface over the read-model pool and the event log.
#[derive(Clone)]
pub struct Operations {
    pool: PgPool,
    store: Arc<dyn EventStore>,
}

impl Operations {
    pub fn new(pool: PgPool, store: Arc<dyn EventStore>) -> Self {
        Self { pool, store }
    }

    /// Every projection that ever ran, by name, its lag counted from the log's head and the
    /// age of the first event it has not applied.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, RuntimeError> {
        let mut all = status::status(&self.pool).await?;
        let head = self.store.head_position().await?;
        for p in &mut all {
            p.lag_events = head.saturating_sub(p.checkpoint.pos);
            p.lag_seconds = if p.lag_events == 0 {
                0.0
            } else {
                match self.store.read_all(p.checkpoint, 1).await?.first() {
                    Some(next) => ((Utc::now() - next.recorded_at).num_milliseconds() as f64
                        / 1000.0)
                        .max(0.0),
                    None => 0.0,
                }
            };
        }
        Ok(all)
    }

    /// The head of the log (what a projection that never ran lags by).
    pub async fn head(&self) -> Result<u64, StoreError> {
        self.store.head_position().await
    }

    /// Asks the projection's leader to rebuild it ([`crate::rebuild::request`]).
    pub async fn request_rebuild(&self, name: &str) -> Result<bool, RuntimeError> {
        crate::rebuild::request(&self.pool, name).await
    }

    /// Clears a halt ([`crate::checkpoint::resume`]).
    pub async fn resume(&self, name: &str) -> Result<bool, RuntimeError> {
        crate::checkpoint::resume(&self.pool, name).await
    }

    /// Whether the read-model database answers a trivial statement.
    pub async fn database_answers(&self) -> Result<(), RuntimeError> {
        sqlx::query_scalar!("select 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }
}
