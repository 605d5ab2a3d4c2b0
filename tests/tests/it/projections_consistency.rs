//! Read-your-writes: the consistency waiter returns once the named projections have applied a
//! position, and gives up (bounded) when they have not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use docuvault_tests::TestDb;
use projections::{ConsistencyWaiter, StreamStats};

use crate::projections_support::*;

#[tokio::test]
async fn wait_returns_once_caught_up_and_times_out_otherwise() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    let names = vec![StreamStats::NAME.to_owned()];
    let listening = ConsistencyWaiter::new(db.pool.clone(), store.clone(), names.clone());
    let polling = ConsistencyWaiter::polling(
        db.pool.clone(),
        store.clone(),
        names,
        Duration::from_millis(20),
    );

    // No projector runs: the wait is bounded and says "not caught up".
    let p = append(store.as_ref(), "user-1", "UserRegistered", 1)
        .await
        .last_position;
    for waiter in [&listening, &polling] {
        let started = Instant::now();
        assert!(!waiter
            .wait_for(p, Duration::from_millis(300))
            .await
            .unwrap());
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "bounded wait took {took:?}"
        );
    }
    // A position that does not exist yet is not waited for beyond the bound either.
    let started = Instant::now();
    assert!(!listening
        .wait_for(p + 1_000_000, Duration::from_millis(200))
        .await
        .unwrap());
    assert!(started.elapsed() < Duration::from_secs(3));

    // With a projector (here in-process; the waiter only reads the checkpoint table, so the
    // projector could as well be another process): every write is visible after the wait.
    let runtime = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![Arc::new(StreamStats)],
        fast_options("c1"),
    );
    for i in 0..20u64 {
        let stream = format!("document-{}", i % 4);
        let p = append(store.as_ref(), &stream, "DocumentUploaded", 1)
            .await
            .last_position;
        let waiter = if i.is_multiple_of(2) {
            &listening
        } else {
            &polling
        };
        assert!(
            waiter.wait_for(p, Duration::from_secs(10)).await.unwrap(),
            "caught up to {p}"
        );
        let seen: i64 = sqlx::query_scalar(
            "select coalesce(max(last_position), 0) from stream_stats_streams where stream_id = $1",
        )
        .bind(&stream)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(seen as u64, p, "the read model reflects the write");
    }
    // An unknown projection never catches up.
    assert!(!listening
        .wait_for_names(&["nope".to_owned()], p, Duration::from_millis(100))
        .await
        .unwrap());
    runtime.stop().await;
}
