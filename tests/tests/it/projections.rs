//! Projection runtime: batches and checkpoints move together, a failing handler halts its
//! projection atomically until `resume`, `stream_stats` matches a replay, status and versions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use docuvault_tests::TestDb;
use domain::ports::EventStore;
use domain::RecordedEvent;
use projections::{
    ConsistencyWaiter, Projection, ProjectionError, ProjectionState, RebuildState, StreamStats,
};
use sqlx::PgConnection;

use crate::projections_support::*;

/// Records every `Good` event in `picky_seen`, one insert per event (so a failure mid-batch has
/// already written something), and rejects unknown event types unless told to accept them.
struct Picky {
    accept_unknown: AtomicBool,
}

#[derive(serde::Deserialize)]
struct Good {
    i: u64,
}

#[async_trait]
impl Projection for Picky {
    fn name(&self) -> &str {
        "picky"
    }
    fn version(&self) -> u32 {
        1
    }
    fn tables(&self) -> &[&str] {
        &["picky_seen"]
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for e in events {
            match e.event_type.as_str() {
                "Good" => {
                    let good: Good = serde_json::from_value(e.data.clone())
                        .map_err(|err| ProjectionError::decode(e, err))?;
                    sqlx::query(
                        "insert into picky_seen (position, stream_id, i) values ($1, $2, $3) \
                         on conflict do nothing",
                    )
                    .bind(e.global_position as i64)
                    .bind(e.stream_id.as_str())
                    .bind(good.i as i64)
                    .execute(&mut *conn)
                    .await?;
                }
                _ if self.accept_unknown.load(Ordering::SeqCst) => {}
                _ => return Err(ProjectionError::decode(e, "unknown event type")),
            }
        }
        Ok(())
    }
}

async fn seen(db: &TestDb) -> i64 {
    sqlx::query_scalar("select count(*) from picky_seen")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn failing_handler_halts_atomically_and_resume_continues() {
    let db = TestDb::new().await;
    sqlx::query("create table picky_seen (position bigint primary key, stream_id text not null, i bigint not null)")
        .execute(&db.pool)
        .await
        .unwrap();
    let store = store(&db.pool);
    let picky = Arc::new(Picky {
        accept_unknown: AtomicBool::new(false),
    });
    let runtime = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![picky.clone()],
        fast_options("p1"),
    );

    append(store.as_ref(), "thing-a", "Good", 3).await;
    eventually(
        Duration::from_secs(10),
        "the first events are applied",
        || async { caught_up(&db.pool, store.as_ref(), "picky").await },
    )
    .await;
    assert_eq!(seen(&db).await, 3);
    let (tx0, pos0, ..) = checkpoint_row(&db.pool, "picky").await.unwrap();

    // One append = one transaction = one batch: Good, Poison, Good.
    let batch = vec![event("Good", 10), event("Poison", 11), event("Good", 12)];
    let outcome = store
        .append(
            &domain::StreamId::from_raw("thing-b"),
            domain::ExpectedVersion::Any,
            batch,
        )
        .await
        .unwrap();
    eventually(Duration::from_secs(10), "the projection halts", || async {
        checkpoint_row(&db.pool, "picky").await.unwrap().2 == "halted"
    })
    .await;
    let (tx1, pos1, _, _, error) = checkpoint_row(&db.pool, "picky").await.unwrap();
    assert_eq!((tx1, pos1), (tx0, pos0), "the checkpoint did not move");
    assert_eq!(
        seen(&db).await,
        3,
        "the batch's first event was rolled back"
    );
    let error = error.expect("last_error is set");
    assert!(
        error.contains("cannot decode") && error.contains("Poison") && error.contains("thing-b"),
        "unclear error: {error}"
    );
    let status = projections::status::status_of(&db.pool, "picky")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.state, ProjectionState::Halted);
    assert_eq!(status.last_error.as_deref(), Some(error.as_str()));

    // It stays halted: later events are not applied either (never skip).
    append(store.as_ref(), "thing-c", "Good", 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(checkpoint_row(&db.pool, "picky").await.unwrap().2, "halted");
    assert_eq!(seen(&db).await, 3);

    // The "fix": accept the unknown type; then resume.
    picky.accept_unknown.store(true, Ordering::SeqCst);
    assert!(projections::resume(&db.pool, "picky").await.unwrap());
    let waiter = ConsistencyWaiter::new(db.pool.clone(), store.clone(), vec!["picky".into()]);
    let last = append(store.as_ref(), "thing-d", "Good", 1).await;
    assert!(last.last_position > outcome.last_position);
    assert!(
        waiter
            .wait_for(last.last_position, Duration::from_secs(10))
            .await
            .unwrap(),
        "caught up after resume"
    );
    assert_eq!(seen(&db).await, 3 + 2 + 1 + 1);
    let (_, _, state, _, error) = checkpoint_row(&db.pool, "picky").await.unwrap();
    assert_eq!(state, "running");
    assert_eq!(error, None);
    assert!(
        !projections::resume(&db.pool, "picky").await.unwrap(),
        "resuming a running projection is a no-op"
    );
    runtime.stop().await;
    let (_, _, state, leader, _) = checkpoint_row(&db.pool, "picky").await.unwrap();
    assert_eq!((state.as_str(), leader), ("standby", None));
}

#[tokio::test]
async fn stream_stats_follows_the_log_and_reports_status() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    // Some history before the projector starts, more while it runs.
    for i in 0..20 {
        append(store.as_ref(), &format!("user-{i}"), "UserRegistered", 1).await;
    }
    let runtime = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStats)],
        fast_options("s1"),
    );
    let mut last = 0;
    for i in 0..30 {
        let stream = format!("document-{}", i % 7);
        last = append(store.as_ref(), &stream, "DocumentUploaded", 1 + i % 3)
            .await
            .last_position;
    }
    let waiter = ConsistencyWaiter::new(
        db.pool.clone(),
        store.clone(),
        vec![StreamStats::NAME.into()],
    );
    assert!(waiter
        .wait_for(last, Duration::from_secs(10))
        .await
        .unwrap());
    assert_matches_replay(&db.pool).await;

    let status = projections::status(&db.pool).await.unwrap();
    assert_eq!(status.len(), 1);
    let s = &status[0];
    assert_eq!(s.name, "stream_stats");
    assert_eq!(s.state, ProjectionState::Running);
    assert!(s.leader_alive, "the advisory lock is held");
    assert!(s.leader_id.as_deref().unwrap().ends_with("s1"));
    assert_eq!(s.checkpoint.pos, last, "the last append was applied last");
    assert_eq!(s.lag_events, 0);
    assert!(s.last_error.is_none());
    runtime.stop().await;
    let s = projections::status::status_of(&db.pool, "stream_stats")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.state, ProjectionState::Standby);
    assert!(!s.leader_alive);
}

#[tokio::test]
async fn stream_stats_is_idempotent_under_redelivery() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    for i in 0..50u64 {
        append(
            store.as_ref(),
            &format!("folder-{}", i % 9),
            "FolderCreated",
            1 + i % 4,
        )
        .await;
    }
    // The never-skip read holds back events while any transaction in the cluster (other tests'
    // too) could still precede them: poll, bounded, until every stored event is readable.
    let total: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let mut events = Vec::new();
    for _ in 0..500 {
        events = store
            .read_all(domain::Checkpoint::START, 10_000)
            .await
            .unwrap();
        if events.len() as i64 == total {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(events.len() as i64, total, "the log never became readable");
    // The whole log, then overlapping halves again, each in its own transaction.
    for batch in [
        &events[..],
        &events[..events.len() / 2],
        &events[events.len() / 3..],
    ] {
        let mut tx = db.pool.begin().await.unwrap();
        StreamStats.apply(&mut tx, batch).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_matches_replay(&db.pool).await;
}

/// `stream_stats` under another version number.
struct StreamStatsV(u32);

#[async_trait]
impl Projection for StreamStatsV {
    fn name(&self) -> &str {
        StreamStats::NAME
    }
    fn version(&self) -> u32 {
        self.0
    }
    fn tables(&self) -> &[&str] {
        StreamStats.tables()
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        StreamStats.apply(conn, events).await
    }
}

#[tokio::test]
async fn a_new_version_rebuilds_and_an_old_one_stands_aside() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    for i in 0..40u64 {
        append(
            store.as_ref(),
            &format!("share-{}", i % 5),
            "ShareGranted",
            2,
        )
        .await;
    }
    let v1 = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStatsV(1))],
        fast_options("v1"),
    );
    eventually(Duration::from_secs(10), "v1 caught up", || async {
        caught_up(&db.pool, store.as_ref(), "stream_stats").await
    })
    .await;
    v1.stop().await;

    let v2 = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStatsV(2))],
        fast_options("v2"),
    );
    eventually(
        Duration::from_secs(20),
        "v2 rebuilt the read model",
        || async {
            let p = projections::rebuild::progress(&db.pool, "stream_stats")
                .await
                .unwrap();
            p.is_some_and(|p| p.state == RebuildState::Done)
        },
    )
    .await;
    let version: i32 = sqlx::query_scalar(
        "select version from projection_checkpoints where name = 'stream_stats'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(version, 2);
    assert_matches_replay(&db.pool).await;
    v2.stop().await;

    // A process still running version 1 must not write tables built by version 2.
    let old = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStatsV(1))],
        fast_options("old"),
    );
    append(store.as_ref(), "share-x", "ShareGranted", 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, _, state, leader, _) = checkpoint_row(&db.pool, "stream_stats").await.unwrap();
    assert_eq!((state.as_str(), leader), ("standby", None));
    assert!(!caught_up(&db.pool, store.as_ref(), "stream_stats").await);
    old.stop().await;
}
