//! The processing read model, read for the topic API and `/metrics`: the PostgreSQL
//! implementation of [`projections::processing::ProcessingQuery`] over the `document_processing`
//! table and the job queue (`processing_jobs`, counted by [`JobQueue::depth`]).

use async_trait::async_trait;
use projections::processing::{ProcessingQuery, ProcessingRow};
use projections::ReadError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::processing::JobQueue;

/// [`ProcessingQuery`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgProcessing {
    pool: PgPool,
}

impl PgProcessing {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ProcessingQuery for PgProcessing {
    async fn document_processing(
        &self,
        document: Uuid,
    ) -> Result<Option<ProcessingRow>, ReadError> {
        sqlx::query_as!(
            ProcessingRow,
            "select status, topic_ids, suggested, topics_source, extraction, provider, fell_back, \
                 last_error from document_processing where document_id = $1",
            document
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(super::database)
    }

    async fn queue_depth(&self) -> Result<(u64, u64), ReadError> {
        JobQueue::new(self.pool.clone(), Default::default())
            .depth()
            .await
            .map_err(super::database)
    }
}
