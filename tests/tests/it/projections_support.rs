//! Shared helpers of the projection tests: a real event store, event writers, fast runtime
//! options, bounded polling, and the expected `stream_stats` model computed straight from the
//! log (what a full replay must produce).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use domain::event::{EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ports::{AppendOutcome, EventStore};
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use projections::RuntimeOptions;
use sqlx::PgPool;
use tokio::sync::oneshot;

pub fn store(pool: &PgPool) -> Arc<PgEventStore> {
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    Arc::new(PgEventStore::new(pool.clone(), keys))
}

/// Options that make standbys and idle leaders react within tens of milliseconds.
pub fn fast_options(instance: &str) -> RuntimeOptions {
    RuntimeOptions {
        batch_size: 100,
        rebuild_batch_size: 1000,
        poll_interval: Duration::from_millis(100),
        standby_retry: Duration::from_millis(200),
        lock_check_interval: Duration::from_millis(200),
        instance: instance.to_owned(),
        ..RuntimeOptions::default()
    }
}

pub fn event(event_type: &str, i: u64) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        data: serde_json::json!({ "i": i }),
        metadata: EventMetadata::default(),
        data_key: None,
        recorded_at: Utc::now(),
    }
}

/// Appends `n` events of `event_type` to `stream` in one batch.
pub async fn append(
    store: &dyn EventStore,
    stream: &str,
    event_type: &str,
    n: u64,
) -> AppendOutcome {
    let events = (0..n).map(|i| event(event_type, i)).collect();
    store
        .append(&StreamId::from_raw(stream), ExpectedVersion::Any, events)
        .await
        .expect("append")
}

/// Polls `check` every 20 ms until it returns true; panics with `what` after `bound`.
pub async fn eventually<F, Fut>(bound: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < bound,
            "timed out after {bound:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A stop switch for a runtime started with [`spawn_runtime`].
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), projections::RuntimeError>>,
}

impl Running {
    /// Signals shutdown and waits until the runtime released everything.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(30), &mut self.task)
            .await
            .expect("runtime stops within 30 s")
            .expect("runtime task")
            .expect("runtime result");
    }
}

pub fn spawn_runtime(
    pool: &PgPool,
    store: Arc<dyn EventStore>,
    projections: Vec<Arc<dyn projections::Projection>>,
    options: RuntimeOptions,
) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let runtime = projections::Runtime::new(pool.clone(), store, projections)
        .expect("valid projections")
        .with_options(options);
    let task = tokio::spawn(runtime.run(async move {
        let _ = rx.await;
    }));
    Running {
        stop: Some(tx),
        task,
    }
}

/// `(tx, pos, state, leader_id, last_error)` of a projection's checkpoint row.
pub async fn checkpoint_row(
    pool: &PgPool,
    name: &str,
) -> Option<(i64, i64, String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "select tx, pos, state, leader_id, last_error from projection_checkpoints where name = $1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
    .expect("checkpoint row")
}

/// Whether `name` has applied every committed event. The never-skip read holds events back
/// while any transaction in the cluster (other tests' too) could still precede them, so "nothing
/// readable after the checkpoint" alone is not enough: every stored event must be readable too.
pub async fn caught_up(pool: &PgPool, store: &dyn EventStore, name: &str) -> bool {
    let Some((tx, pos, ..)) = checkpoint_row(pool, name).await else {
        return false;
    };
    let stored: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await
        .expect("count events");
    let readable = store
        .read_all(domain::Checkpoint::START, 1_000_000)
        .await
        .expect("read_all")
        .len();
    let cp = domain::Checkpoint {
        tx: tx as u64,
        pos: pos as u64,
    };
    readable as i64 == stored && store.read_all(cp, 1).await.expect("read_all").is_empty()
}

type StreamRow = (String, String, i64, i64, String);
type CategoryRow = (String, i64, i64, i64);

/// The `stream_stats` tables as they are.
pub async fn stream_stats(pool: &PgPool) -> (Vec<StreamRow>, Vec<CategoryRow>) {
    let streams = sqlx::query_as(
        "select stream_id, category, events, last_position, last_event_type \
         from stream_stats_streams order by stream_id",
    )
    .fetch_all(pool)
    .await
    .expect("read stream_stats_streams");
    let categories = sqlx::query_as(
        "select category, events, streams, last_position from stream_stats_categories \
         order by category",
    )
    .fetch_all(pool)
    .await
    .expect("read stream_stats_categories");
    (streams, categories)
}

/// What a full replay of the log into `stream_stats` yields, computed by SQL from `events`.
pub async fn expected_stream_stats(pool: &PgPool) -> (Vec<StreamRow>, Vec<CategoryRow>) {
    let streams = sqlx::query_as(
        "select distinct on (stream_id) stream_id, split_part(stream_id, '-', 1), \
                stream_version, global_position, event_type \
         from events order by stream_id, stream_version desc",
    )
    .fetch_all(pool)
    .await
    .expect("expected streams");
    let categories = sqlx::query_as(
        "select split_part(stream_id, '-', 1) as category, count(*)::int8, \
                count(distinct stream_id)::int8, max(global_position) \
         from events group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .expect("expected categories");
    (streams, categories)
}

pub async fn assert_matches_replay(pool: &PgPool) {
    let (streams, categories) = stream_stats(pool).await;
    let (want_streams, want_categories) = expected_stream_stats(pool).await;
    assert_eq!(streams.len(), want_streams.len(), "number of streams");
    assert_eq!(
        streams, want_streams,
        "stream_stats_streams differs from a replay"
    );
    assert_eq!(
        categories, want_categories,
        "stream_stats_categories differs from a replay"
    );
}
