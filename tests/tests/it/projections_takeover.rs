//! Leadership: of two runtimes exactly one leads a projection; when it stops, the other takes
//! over within seconds and continues from the checkpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use docuvault_tests::TestDb;
use projections::StreamStats;

use crate::projections_support::*;

async fn leader(db: &TestDb) -> Option<String> {
    checkpoint_row(&db.pool, "stream_stats")
        .await
        .and_then(|r| r.3)
}

#[tokio::test]
async fn two_runtimes_one_leader_then_takeover() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    let a = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStats)],
        fast_options("runtime-a"),
    );
    eventually(Duration::from_secs(10), "a leads", || async {
        leader(&db).await.as_deref() == Some("runtime-a")
    })
    .await;
    let b = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStats)],
        fast_options("runtime-b"),
    );
    // While both run, events flow and the leader never changes (b retries every 200 ms).
    for round in 0..10u64 {
        append(store.as_ref(), &format!("user-{}", round % 3), "Tick", 5).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(leader(&db).await.as_deref(), Some("runtime-a"));
    }
    eventually(Duration::from_secs(10), "a caught up", || async {
        caught_up(&db.pool, store.as_ref(), "stream_stats").await
    })
    .await;
    let held: i64 = sqlx::query_scalar(
        "select count(*) from pg_locks where locktype = 'advisory' and granted and objsubid = 2 \
         and classid = $1::int4::oid \
         and database = (select oid from pg_database where datname = current_database())",
    )
    .bind(projections::leadership::LOCK_NAMESPACE)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(held, 1, "exactly one session holds the projection's lock");

    // The leader's death is when its stop completes (its session, and so its lock, is gone);
    // the 5 s takeover bound counts from there.
    a.stop().await;
    let stopped = Instant::now();
    eventually(
        Duration::from_secs(5),
        "b takes over within 5 s",
        || async { leader(&db).await.as_deref() == Some("runtime-b") },
    )
    .await;
    assert!(stopped.elapsed() < Duration::from_secs(5));
    eprintln!("b took over after {:?}", stopped.elapsed());
    for round in 0..5u64 {
        append(store.as_ref(), &format!("document-{round}"), "Tock", 3).await;
    }
    eventually(Duration::from_secs(10), "b caught up", || async {
        caught_up(&db.pool, store.as_ref(), "stream_stats").await
    })
    .await;
    assert_matches_replay(&db.pool).await;
    b.stop().await;
}
