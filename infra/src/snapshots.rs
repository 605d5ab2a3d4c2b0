//! `SnapshotStore` on PostgreSQL: one row per stream, replaced only by a newer version.

use async_trait::async_trait;
use commands::documents::{FactsError, SnapshotStore};
use domain::StreamId;
use sqlx::PgPool;

#[derive(Clone)]
pub struct PgSnapshots {
    pub pool: PgPool,
}

#[async_trait]
impl SnapshotStore for PgSnapshots {
    async fn load(
        &self,
        stream: &StreamId,
    ) -> Result<Option<(u64, serde_json::Value)>, FactsError> {
        let row = sqlx::query!(
            "select stream_version, state from aggregate_snapshots where stream_id = $1",
            stream.as_str()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| FactsError(e.to_string()))?;
        Ok(row.map(|r| (r.stream_version.max(0) as u64, r.state)))
    }

    async fn save(
        &self,
        stream: &StreamId,
        version: u64,
        state: serde_json::Value,
    ) -> Result<(), FactsError> {
        sqlx::query!(
"insert into aggregate_snapshots (stream_id, stream_version, state) values ($1, $2, $3) \
             on conflict (stream_id) do update set stream_version = excluded.stream_version, \
             state = excluded.state, updated_at = now() \
             where aggregate_snapshots.stream_version < excluded.stream_version",
stream.as_str(),
version as i64,
state
)
        .execute(&self.pool)
        .await
        .map_err(|e| FactsError(e.to_string()))?;
        Ok(())
    }
}
