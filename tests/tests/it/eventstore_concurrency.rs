//! The event store under concurrency: optimistic-concurrency races (against every backend),
//! and on PostgreSQL many writers against a live subscriber (every event exactly once,
//! per-stream order), a transaction holding an early position open (the reader waits, never
//! skips), and cross-process wake-ups by NOTIFY.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use docuvault_tests::TestDb;
use domain::event::{Checkpoint, ExpectedVersion, StreamId};
use domain::ports::{EventStore, StoreError};
use domain::RecordedEvent;
use futures::StreamExt;
use infra::eventstore::{verify_log, MasterKey, PgDataKeys, PgEventStore, StoreOptions};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::eventstore::{event, store_on, store_on_pool, stream};
use crate::eventstore_backends::{conformance, Subject};

conformance!(
    concurrent_appends_at_one_expected_version_exactly_one_wins,
    concurrent_any_appends_to_one_stream_all_land_gap_free,
);

/// How long any single expected delivery may take before the test fails.
const DELIVERY_BOUND: Duration = Duration::from_secs(30);

async fn concurrent_appends_at_one_expected_version_exactly_one_wins(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![event("Created", json!({}))],
        )
        .await
        .unwrap();
    const N: usize = 16;
    let barrier = Arc::new(Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (store, s, barrier) = (store.clone(), s.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .append(
                        &s,
                        ExpectedVersion::Exact(1),
                        vec![event("Edited", json!({"by": i}))],
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(outcome) => {
                assert_eq!(outcome.stream_version, 2);
                wins += 1;
            }
            Err(StoreError::Conflict { actual, .. }) => assert_eq!(actual, 2),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 2);
}

async fn concurrent_any_appends_to_one_stream_all_land_gap_free(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                for _ in 0..25 {
                    store
                        .append(&s, ExpectedVersion::Any, vec![event("E", json!({}))])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let versions: Vec<u64> = store
        .read_stream(&s, 1)
        .await
        .unwrap()
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, (1..=200).collect::<Vec<_>>());
    subject.assert_chains_intact().await;
}

/// Collects `n` events from a subscription, failing if any single one takes too long.
async fn collect(
    sub: &mut (impl futures::Stream<Item = Result<RecordedEvent, StoreError>> + Unpin),
    n: usize,
) -> Vec<RecordedEvent> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = tokio::time::timeout(DELIVERY_BOUND, sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events delivered", out.len()));
        out.push(next.expect("subscriptions never end").expect("read failed"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_and_a_live_subscriber_see_every_event_once_in_stream_order() {
    const WRITERS: usize = 16;
    const EVENTS_PER_WRITER: usize = 2_000;
    const SHARED_STREAMS: usize = 8;
    let db = TestDb::new().await;
    // Visibility order is the subject here, not durability: without waiting for WAL flushes
    // (milliseconds each on a busy CI disk) the test stays fast, and 16 writers on a few cores
    // still commit out of transaction-id order all the time.
    sqlx::query(&format!(
        "alter database {} set synchronous_commit = off",
        db.name
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(24)
        .connect(&db.url)
        .await
        .unwrap();
    let (store, _) = store_on_pool(&pool);
    let shared: Arc<Vec<StreamId>> =
        Arc::new((0..SHARED_STREAMS).map(|_| stream("shared")).collect());

    // The subscriber is live before the first write and reads while they happen.
    let mut sub = store.subscribe_all(Checkpoint::START);
    let reader = tokio::spawn(async move { collect(&mut sub, WRITERS * EVENTS_PER_WRITER).await });

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, shared) = (store.clone(), shared.clone());
            tokio::spawn(async move {
                let own = stream("own");
                let mut own_version = 0u64;
                let mut ids = Vec::with_capacity(EVENTS_PER_WRITER);
                let mut written = 0;
                let mut i = 0usize;
                while written < EVENTS_PER_WRITER {
                    // Batches of 1–3 events, mostly to the writer's own stream (exact versions),
                    // every fourth to one of the shared streams (`Any`, contended).
                    let n = (1 + i % 3).min(EVENTS_PER_WRITER - written);
                    let batch: Vec<_> = (0..n)
                        .map(|k| event("E", json!({"writer": w, "seq": written + k})))
                        .collect();
                    ids.extend(batch.iter().map(|e| e.event_id));
                    if !i.is_multiple_of(4) {
                        let out = store
                            .append(&own, ExpectedVersion::from_loaded(own_version), batch)
                            .await
                            .unwrap();
                        own_version = out.stream_version;
                    } else {
                        let s = &shared[(w + i) % SHARED_STREAMS];
                        store.append(s, ExpectedVersion::Any, batch).await.unwrap();
                    }
                    written += n;
                    i += 1;
                }
                ids
            })
        })
        .collect();
    let mut appended = HashSet::new();
    for w in writers {
        appended.extend(w.await.unwrap());
    }
    let delivered = reader.await.unwrap();

    let ids: Vec<Uuid> = delivered.iter().map(|e| e.event_id).collect();
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an event was delivered twice");
    assert_eq!(unique, appended, "delivered set differs from appended set");
    let mut last_version: HashMap<&StreamId, u64> = HashMap::new();
    for pair in delivered.windows(2) {
        assert!(
            pair[0].checkpoint < pair[1].checkpoint,
            "checkpoints must increase"
        );
    }
    for e in &delivered {
        let v = last_version.entry(&e.stream_id).or_insert(0);
        assert_eq!(e.stream_version, *v + 1, "{} out of order", e.stream_id);
        *v = e.stream_version;
    }
    // A fresh catch-up from the start sees exactly the same sequence.
    let mut replay = Vec::new();
    let mut after = Checkpoint::START;
    loop {
        let batch = store.read_all(after, 5_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.checkpoint;
        replay.extend(batch.into_iter().map(|e| e.event_id));
    }
    assert_eq!(replay, ids);
    assert!(verify_log(&pool).await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reader_waits_for_a_transaction_holding_an_earlier_position() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let mut sub = store.subscribe_all(Checkpoint::START);
    store
        .append(
            &stream("doc"),
            ExpectedVersion::NoStream,
            vec![event("Before", json!({}))],
        )
        .await
        .unwrap();
    let before = collect(&mut sub, 1).await.remove(0);

    // A transaction takes the next position and stays open …
    let held = stream("doc");
    let mut tx = db.pool.begin().await.unwrap();
    let held_out = store
        .append_in(
            &mut tx,
            &held,
            ExpectedVersion::NoStream,
            vec![event("Held", json!({}))],
        )
        .await
        .unwrap();
    // … while later transactions commit with higher positions.
    let mut later = Vec::new();
    for _ in 0..5 {
        let out = store
            .append(
                &stream("doc"),
                ExpectedVersion::NoStream,
                vec![event("Later", json!({}))],
            )
            .await
            .unwrap();
        assert!(out.first_position > held_out.last_position);
        later.push(out.first_position);
    }
    // A position-ordered reader would now see the later events and move past the held one.
    let committed_after: i64 =
        sqlx::query_scalar("select count(*) from events where global_position > $1")
            .bind(held_out.last_position as i64)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(committed_after, 5);
    // The store's reader delivers none of them while the earlier transaction is open.
    assert!(store
        .read_all(before.checkpoint, 100)
        .await
        .unwrap()
        .is_empty());
    assert!(
        tokio::time::timeout(Duration::from_millis(1_500), sub.next())
            .await
            .is_err(),
        "delivered an event past an open transaction"
    );

    tx.commit().await.unwrap();
    store.wake();
    let after = collect(&mut sub, 6).await;
    assert_eq!(after[0].global_position, held_out.last_position);
    assert_eq!(after[0].stream_id, held);
    let positions: Vec<u64> = after[1..].iter().map(|e| e.global_position).collect();
    assert_eq!(positions, later);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_in_another_process_is_woken_by_notify() {
    let db = TestDb::new().await;
    let (writer, _) = store_on(&db);
    // "Another process": its own pool and store, polling so rarely that only a wake-up can
    // deliver within the bound.
    let other_pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&db.url)
        .await
        .unwrap();
    let keys = Arc::new(PgDataKeys::new(other_pool.clone(), MasterKey::generate()));
    let reader = PgEventStore::with_options(
        other_pool,
        keys,
        StoreOptions {
            poll_interval: Duration::from_secs(600),
            ..StoreOptions::default()
        },
    );
    let mut sub = reader.subscribe_all(Checkpoint::START);
    for i in 0..3 {
        let e = event("E", json!({"i": i}));
        let id = e.event_id;
        writer
            .append(&stream("doc"), ExpectedVersion::NoStream, vec![e])
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("not woken within 10 s")
            .unwrap()
            .unwrap();
        assert_eq!(got.event_id, id);
    }
}
