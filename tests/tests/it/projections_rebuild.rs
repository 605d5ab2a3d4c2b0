//! Blue/green rebuilds: under live writes and live reads no read fails or goes backwards and the
//! result equals a fresh replay; without a leader the requester rebuilds itself; a failing
//! rebuild leaves the live tables alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use docuvault_tests::TestDb;
use domain::RecordedEvent;
use projections::{
    ConsistencyWaiter, Projection, ProjectionError, RebuildProgress, RebuildState, RuntimeOptions,
    StreamStats,
};
use sqlx::{PgConnection, PgPool};

use crate::projections_support::*;

async fn preload(store: &dyn domain::ports::EventStore, appends: u64, per_append: u64) {
    for i in 0..appends {
        append(store, &format!("seed-{}", i % 97), "Seeded", per_append).await;
    }
}

fn recorder() -> (
    Arc<Mutex<Vec<RebuildProgress>>>,
    projections::rebuild::ProgressFn,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        seen,
        Arc::new(move |p: &RebuildProgress| sink.lock().unwrap().push(p.clone())),
    )
}

async fn relation_exists(pool: &PgPool, name: &str) -> bool {
    sqlx::query_scalar("select to_regclass($1) is not null")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn rebuild_under_live_writes_and_reads() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    preload(store.as_ref(), 500, 20).await; // 10,000 events
                                            // Small rebuild batches: the leader's rebuild lasts several of the requester's polls
                                            // (10,000 events in batches of 1,000 could finish between two of them on a fast machine,
                                            // and the requester then never saw it running).
    let runtime = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStats)],
        RuntimeOptions {
            rebuild_batch_size: 100,
            ..fast_options("live")
        },
    );
    eventually(
        Duration::from_secs(30),
        "the live projection caught up",
        || async { caught_up(&db.pool, store.as_ref(), "stream_stats").await },
    )
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..2u64 {
        let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            let mut last = 0;
            while !stop.load(Ordering::SeqCst) {
                let stream = format!("live{w}-{}", i % 13);
                last = append(store.as_ref(), &stream, "Written", 1 + i % 3)
                    .await
                    .last_position;
                written.fetch_add(1 + i % 3, Ordering::SeqCst);
                i += 1;
            }
            last
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (pool, stop) = (db.pool.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let (mut reads, mut errors, mut last_total) = (0u64, Vec::new(), 0i64);
            while !stop.load(Ordering::SeqCst) {
                let total: Result<i64, _> = sqlx::query_scalar(
                    "select coalesce(sum(events), 0)::int8 from stream_stats_categories",
                )
                .fetch_one(&pool)
                .await;
                let by_category: Result<i64, _> = sqlx::query_scalar(
                    "select count(*) from stream_stats_streams where category = 'seed'",
                )
                .fetch_one(&pool)
                .await;
                match (total, by_category) {
                    (Ok(total), Ok(seeds)) => {
                        assert!(
                            total >= last_total,
                            "a read went backwards: {total} < {last_total}"
                        );
                        assert_eq!(seeds, 97, "every seed stream is visible");
                        last_total = total;
                        reads += 1;
                    }
                    (Err(e), _) | (_, Err(e)) => errors.push(e.to_string()),
                }
            }
            (reads, errors)
        }));
    }

    let (progress, on_progress) = recorder();
    let done = projections::rebuild(
        &db.pool,
        store.clone(),
        Arc::new(StreamStats),
        fast_options("cli"),
        on_progress,
    )
    .await
    .expect("rebuild");
    assert_eq!(done.state, RebuildState::Done);
    assert!(
        done.events_done >= 10_000,
        "replayed the whole log: {done:?}"
    );

    stop.store(true, Ordering::SeqCst);
    let mut last = 0;
    for w in writers {
        last = last.max(w.await.unwrap());
    }
    for r in readers {
        let (reads, errors) = r.await.unwrap();
        assert!(
            errors.is_empty(),
            "reads failed during the rebuild: {errors:?}"
        );
        assert!(reads > 0);
    }
    assert!(
        written.load(Ordering::SeqCst) > 0,
        "writes went on during the rebuild"
    );
    let waiter =
        ConsistencyWaiter::new(db.pool.clone(), store.clone(), vec!["stream_stats".into()]);
    assert!(waiter
        .wait_for(last, Duration::from_secs(20))
        .await
        .unwrap());
    assert_matches_replay(&db.pool).await;

    // Performed by the leader; the requester followed its progress row.
    let progress = progress.lock().unwrap().clone();
    assert!(progress.iter().any(|p| p.state == RebuildState::Running));
    assert_eq!(progress.last().unwrap().state, RebuildState::Done);
    let (_, _, state, leader, error) = checkpoint_row(&db.pool, "stream_stats").await.unwrap();
    assert_eq!(
        (state.as_str(), leader.as_deref(), error),
        ("running", Some("live"), None)
    );
    // Indexes came along under their names; the shadow schema is gone.
    assert!(relation_exists(&db.pool, "public.stream_stats_streams_category_idx").await);
    assert!(relation_exists(&db.pool, "public.stream_stats_streams_pkey").await);
    let shadow: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_namespace where nspname = 'rebuild_stream_stats')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(!shadow);
    runtime.stop().await;
}

/// `stream_stats` that can be made to fail.
struct Flaky {
    fail: AtomicBool,
}

#[async_trait]
impl Projection for Flaky {
    fn name(&self) -> &str {
        StreamStats::NAME
    }
    fn version(&self) -> u32 {
        1
    }
    fn tables(&self) -> &[&str] {
        StreamStats.tables()
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        StreamStats.apply(conn, events).await?;
        if self.fail.load(Ordering::SeqCst) {
            return Err(ProjectionError::handler(&events[0], "injected failure"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn rebuild_without_a_leader_runs_here_and_a_failed_one_changes_nothing() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    preload(store.as_ref(), 60, 5).await;
    let flaky = Arc::new(Flaky {
        fail: AtomicBool::new(false),
    });
    // Nobody leads: the requester takes the lock and rebuilds (from nothing, here).
    let (progress, on_progress) = recorder();
    let done = projections::rebuild(
        &db.pool,
        store.clone(),
        flaky.clone(),
        fast_options("cli-1"),
        on_progress.clone(),
    )
    .await
    .expect("rebuild");
    assert_eq!(done.events_done, 300);
    assert_eq!(
        progress.lock().unwrap().last().unwrap().state,
        RebuildState::Done
    );
    assert_matches_replay(&db.pool).await;
    assert!(caught_up(&db.pool, store.as_ref(), "stream_stats").await);
    let (_, _, state, leader, _) = checkpoint_row(&db.pool, "stream_stats").await.unwrap();
    assert_eq!(
        (state.as_str(), leader),
        ("standby", None),
        "released after the rebuild"
    );

    // A failing rebuild: the live tables and checkpoint stay as they were.
    let before = stream_stats(&db.pool).await;
    let cp_before = checkpoint_row(&db.pool, "stream_stats").await.unwrap();
    flaky.fail.store(true, Ordering::SeqCst);
    let err = projections::rebuild(
        &db.pool,
        store.clone(),
        flaky.clone(),
        fast_options("cli-2"),
        on_progress,
    )
    .await
    .expect_err("the rebuild fails");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(stream_stats(&db.pool).await, before);
    let cp_after = checkpoint_row(&db.pool, "stream_stats").await.unwrap();
    assert_eq!((cp_after.0, cp_after.1), (cp_before.0, cp_before.1));
    let failed = projections::rebuild::progress(&db.pool, "stream_stats")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, RebuildState::Failed);
    assert!(failed.error.unwrap().contains("injected failure"));
    let shadow: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_namespace where nspname = 'rebuild_stream_stats')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(!shadow, "the shadow schema was dropped");
}
