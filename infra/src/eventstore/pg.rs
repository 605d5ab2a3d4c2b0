//! `PgEventStore`: the `EventStore` port on PostgreSQL (see the module docs for the contract).

use std::sync::Arc;

use async_trait::async_trait;
use domain::event::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use domain::ports::{AppendOutcome, ChainLink, DataKeys, EventStore, SealedEvent, StoreError};
use futures::stream::BoxStream;
use sqlx::{Acquire, PgConnection, PgPool};

use super::append::{self, Attempt};
use super::combine::Combiner;
use super::inner::{Inner, StoreOptions};
use super::pg_audit;
use super::rows::{self, RawEvent};
use super::subscribe;
use super::wake::Wake;

/// How often an `Any` append re-reads the head after losing a race for the next version.
const MAX_ANY_ATTEMPTS: usize = 100;

/// The PostgreSQL event store. Cheap to clone; clones share one notifier and one listener.
///
/// Background work (the NOTIFY sender, the LISTEN connection) starts on first use from inside a
/// Tokio runtime and stops when the last clone and subscription are dropped.
#[derive(Clone)]
pub struct PgEventStore {
    inner: Arc<Inner>,
}

impl PgEventStore {
    pub fn new(pool: PgPool, keys: Arc<dyn DataKeys>) -> Self {
        Self::with_options(pool, keys, StoreOptions::default())
    }

    pub fn with_options(pool: PgPool, keys: Arc<dyn DataKeys>, options: StoreOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                combiner: (options.append_leaders > 0)
                    .then(|| Combiner::new(options.append_leaders, options.max_grouped)),
                pool,
                keys,
                wake: Wake::new(),
                options,
            }),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Appends inside the caller's connection or transaction (e.g. to write something else
    /// atomically with the events). The statement runs under a savepoint, so a conflict leaves
    /// the caller's transaction usable. Subscribers are not woken (the caller has not committed
    /// yet): call [`PgEventStore::wake`] after the commit, or let them poll.
    pub async fn append_in(
        &self,
        conn: &mut PgConnection,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let keys = self.inner.keys.as_ref();
        let prepared = append::prepare(keys, stream, events).await?;
        for _ in 0..MAX_ANY_ATTEMPTS {
            let mut sp = conn.begin().await.map_err(rows::backend)?;
            let attempt = append::attempt(&mut *sp, expected, &prepared).await;
            match attempt {
                Ok(Attempt::Appended(outcome)) => {
                    sp.commit().await.map_err(rows::backend)?;
                    return Ok(outcome);
                }
                Ok(Attempt::VersionTaken) if expected == ExpectedVersion::Any => {
                    sp.rollback().await.map_err(rows::backend)?;
                }
                Ok(_) => {
                    sp.rollback().await.map_err(rows::backend)?;
                    return append::resolve(conn, keys, expected, &prepared).await;
                }
                Err(e) => return Err(e),
            }
        }
        append::resolve(conn, keys, expected, &prepared).await
    }

    /// Wakes subscribers here and in other processes; for callers of [`PgEventStore::append_in`]
    /// after their commit.
    pub fn wake(&self) {
        self.inner.wake.appended(&self.inner.pool);
    }

    /// One-event appends queued for a group-commit round that has not started yet (a
    /// diagnostic: tests use it to know that appends are waiting).
    pub fn queued_appends(&self) -> usize {
        self.inner.combiner.as_ref().map_or(0, |c| c.queued())
    }

    /// Up to `limit` events after `after_position`, by position, exactly as stored (personal data
    /// sealed, with chain hashes). Position order is *not* the never-skip order: use this only on
    /// a log at rest (audit, benchmarks), never to follow a live log.
    pub async fn read_raw_batch(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>, StoreError> {
        rows::read_raw(&self.inner.pool, after_position, limit).await
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    #[tracing::instrument(level = "debug", skip_all, fields(stream = %stream, n = events.len()))]
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let inner = &self.inner;
        let started = std::time::Instant::now();
        let count = events.len();
        let prepared = Arc::new(append::prepare(inner.keys.as_ref(), stream, events).await?);
        if let (1, Some(combiner)) = (count, &inner.combiner) {
            if let Some(outcome) = combiner.append(&inner.pool, &prepared, expected).await {
                inner.wake.appended(&inner.pool);
                super::metrics::appended(stream.category(), count, started.elapsed());
                return Ok(outcome);
            }
        }
        for _ in 0..MAX_ANY_ATTEMPTS {
            match append::attempt(&inner.pool, expected, &prepared).await? {
                Attempt::Appended(outcome) => {
                    inner.wake.appended(&inner.pool);
                    super::metrics::appended(stream.category(), count, started.elapsed());
                    return Ok(outcome);
                }
                Attempt::VersionTaken if expected == ExpectedVersion::Any => continue,
                _ => break,
            }
        }
        let mut conn = inner.pool.acquire().await.map_err(rows::backend)?;
        append::resolve(&mut conn, inner.keys.as_ref(), expected, &prepared).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        rows::read_stream(
            &self.inner.pool,
            self.inner.keys.as_ref(),
            stream,
            from_version,
        )
        .await
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        rows::read_all(&self.inner.pool, self.inner.keys.as_ref(), after, limit).await
    }

    fn subscribe_all(
        &self,
        after: Checkpoint,
    ) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        subscribe::subscribe(self.inner.clone(), after)
    }

    async fn checkpoint_of(&self, global_position: u64) -> Result<Option<Checkpoint>, StoreError> {
        let Ok(pos) = i64::try_from(global_position) else {
            return Ok(None);
        };
        let tx = sqlx::query_scalar!(
            "select tx_id::text as \"tx_text!\" from events \
             where global_position = $1 and tx_id < pg_snapshot_xmin(pg_current_snapshot())",
            pos
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(rows::backend)?;
        tx.map(|t| {
            Ok(Checkpoint {
                tx: rows::parse_tx(&t)?,
                pos: global_position,
            })
        })
        .transpose()
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        pg_audit::head_position(&self.inner.pool).await
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        let positions: Vec<i64> = positions
            .iter()
            .filter_map(|p| i64::try_from(*p).ok())
            .collect();
        rows::read_positions(&self.inner.pool, self.inner.keys.as_ref(), &positions).await
    }

    async fn read_chain_links(&self, positions: &[u64]) -> Result<Vec<ChainLink>, StoreError> {
        pg_audit::chain_links(&self.inner.pool, positions).await
    }

    fn sealed_streams(&self) -> BoxStream<'_, Result<SealedEvent, StoreError>> {
        pg_audit::sealed_streams(self.inner.pool.clone())
    }
}
