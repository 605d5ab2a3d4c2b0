//! Group commit of one-event appends: every caller gets its own result, a conflict in a round
//! fails only its own append, idempotent retries still work, a cancelled round leader strands no
//! one, and a live subscriber sees every grouped event once. (No test needs a second runtime:
//! group commit runs no background task, only the callers' own futures.)

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use docuvault_tests::TestDb;
use domain::event::{Checkpoint, ExpectedVersion, StreamId};
use domain::ports::{AppendOutcome, EventStore, StoreError};
use futures::StreamExt;
use infra::eventstore::{verify_log, MasterKey, PgDataKeys, PgEventStore, StoreOptions};
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::eventstore::{event, store_on, stream};

/// The bound on every wait for a state the test set up.
const BOUND: Duration = Duration::from_secs(30);

/// A store with one round at a time, so a blocked round makes every later append queue.
fn one_leader(db: &TestDb) -> PgEventStore {
    let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
    PgEventStore::with_options(
        db.pool.clone(),
        keys,
        StoreOptions {
            append_leaders: 1,
            ..StoreOptions::default()
        },
    )
}

/// Appends one `event_type` event as the first of stream `s`.
async fn first_event(
    store: &PgEventStore,
    s: &StreamId,
    event_type: &str,
) -> Result<AppendOutcome, StoreError> {
    store
        .append(
            s,
            ExpectedVersion::NoStream,
            vec![event(event_type, json!({}))],
        )
        .await
}

/// Waits (bounded) until `ready` holds, polling.
async fn until<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + BOUND;
    while !ready().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many inserts into `events` in this database wait for a lock.
async fn blocked_inserts(db: &TestDb) -> i64 {
    sqlx::query_scalar(
        "select count(*) from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'
           and query ilike '%insert into events%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// A transaction that keeps every insert into `events` waiting until it ends.
async fn block_inserts(db: &TestDb) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = db.pool.begin().await.unwrap();
    // `exclusive` conflicts with the inserts' `row exclusive`, not with plain reads.
    sqlx::query("lock table events in exclusive mode")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_grouped_append_gets_its_own_result_and_the_subscriber_sees_it_once() {
    const WRITERS: usize = 32;
    const APPENDS: usize = 60;
    const SHARED: usize = 4;
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let shared: Arc<Vec<StreamId>> = Arc::new((0..SHARED).map(|_| stream("shared")).collect());
    let mut sub = store.subscribe_all(Checkpoint::START);
    let barrier = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, shared, barrier) = (store.clone(), shared.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let own = stream("own");
                let mut version = 0;
                let mut results: Vec<(Uuid, StreamId, AppendOutcome)> = Vec::new();
                for i in 0..APPENDS {
                    let e = event("E", json!({"writer": w, "i": i}));
                    let id = e.event_id;
                    let (s, expected) = if i % 5 == 4 {
                        (shared[(w + i) % SHARED].clone(), ExpectedVersion::Any)
                    } else {
                        (own.clone(), ExpectedVersion::from_loaded(version))
                    };
                    let out = store.append(&s, expected, vec![e.clone()]).await.unwrap();
                    if s == own {
                        assert_eq!(out.stream_version, version + 1, "writer {w} append {i}");
                        version = out.stream_version;
                    }
                    assert_eq!(out.first_position, out.last_position);
                    if i % 10 == 0 {
                        // A retry (e.g. after a lost response) gets the very same outcome.
                        let again = store.append(&s, expected, vec![e]).await.unwrap();
                        assert_eq!(again, out, "writer {w} retry of append {i}");
                    }
                    results.push((id, s, out));
                }
                results
            })
        })
        .collect();
    let mut outcomes: HashMap<Uuid, (StreamId, AppendOutcome)> = HashMap::new();
    for w in writers {
        for (id, s, out) in w.await.unwrap() {
            outcomes.insert(id, (s, out));
        }
    }
    assert_eq!(outcomes.len(), WRITERS * APPENDS);

    // Each outcome names exactly where its own event is stored.
    let stored: Vec<(Uuid, String, i64, i64)> =
        sqlx::query_as("select event_id, stream_id, stream_version, global_position from events")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), outcomes.len(), "no duplicates, nothing lost");
    for (id, stream_id, version, position) in &stored {
        let (s, out) = &outcomes[id];
        assert_eq!(s.as_str(), stream_id);
        assert_eq!(out.stream_version, *version as u64, "{id}");
        assert_eq!(out.first_position, *position as u64, "{id}");
    }
    // The appends were grouped: some transaction wrote events of several streams.
    let largest_round: i64 = sqlx::query_scalar(
        "select max(n) from (select count(*) as n from events group by tx_id) as rounds",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(largest_round > 1, "no two appends were ever grouped");

    let mut delivered = Vec::with_capacity(outcomes.len());
    while delivered.len() < outcomes.len() {
        let next = tokio::time::timeout(BOUND, sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} events delivered", delivered.len()));
        delivered.push(next.expect("subscriptions never end").unwrap());
    }
    let ids: HashSet<Uuid> = delivered.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), delivered.len(), "an event was delivered twice");
    assert_eq!(ids, outcomes.keys().copied().collect::<HashSet<_>>());
    let mut last: HashMap<&StreamId, u64> = HashMap::new();
    for e in &delivered {
        let v = last.entry(&e.stream_id).or_insert(0);
        assert_eq!(e.stream_version, *v + 1, "{} out of order", e.stream_id);
        *v = e.stream_version;
    }
    assert!(verify_log(&db.pool).await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_conflict_in_a_round_fails_only_its_own_append() {
    let db = TestDb::new().await;
    let store = one_leader(&db);
    // Streams at version 1 for the appends with right and wrong expected versions, and events
    // already stored for the retries and the reused ids.
    let mut at_one = Vec::new();
    for _ in 0..16 {
        let s = stream("doc");
        first_event(&store, &s, "Created").await.unwrap();
        at_one.push(s);
    }
    let mut earlier = Vec::new();
    for _ in 0..4 {
        let (s, e) = (stream("doc"), event("Created", json!({"earlier": true})));
        let out = store
            .append(&s, ExpectedVersion::NoStream, vec![e.clone()])
            .await
            .unwrap();
        earlier.push((s, e, out));
    }

    // A round that cannot finish yet, so everything below queues for the next one.
    let held = block_inserts(&db).await;
    let blocked = {
        let store = store.clone();
        tokio::spawn(async move { first_event(&store, &stream("doc"), "First").await })
    };
    until("the first round waits for the lock", || async {
        blocked_inserts(&db).await == 1
    })
    .await;

    let append = |s: StreamId, expected: ExpectedVersion, e: domain::event::NewEvent| {
        let store = store.clone();
        tokio::spawn(async move { store.append(&s, expected, vec![e]).await })
    };
    let mut right = Vec::new();
    for s in &at_one[..10] {
        let e = event("Edited", json!({}));
        right.push((e.event_id, append(s.clone(), ExpectedVersion::Exact(1), e)));
    }
    let wrong: Vec<_> = at_one[10..]
        .iter()
        .map(|s| {
            append(
                s.clone(),
                ExpectedVersion::Exact(5),
                event("Edited", json!({})),
            )
        })
        .collect();
    // Retries of stored appends, with the original and with `Any` expectations.
    let retries: Vec<_> = earlier[..2]
        .iter()
        .enumerate()
        .map(|(i, (s, e, out))| {
            let expected = [ExpectedVersion::NoStream, ExpectedVersion::Any][i];
            (*out, append(s.clone(), expected, e.clone()))
        })
        .collect();
    // Stored ids reused for other events on new streams.
    let reused: Vec<_> = earlier[2..]
        .iter()
        .map(|(_, e, _)| {
            let mut other = event("Other", json!({}));
            other.event_id = e.event_id;
            (
                e.event_id,
                append(stream("doc"), ExpectedVersion::Any, other),
            )
        })
        .collect();
    until("all 20 appends are queued", || async {
        store.queued_appends() == 20
    })
    .await;
    held.commit().await.unwrap();

    match blocked.await.unwrap() {
        Ok(out) => assert_eq!(out.stream_version, 1),
        Err(e) => panic!("the blocked append failed: {e}"),
    }
    let mut right_ids = Vec::new();
    for (id, t) in right {
        assert_eq!(t.await.unwrap().unwrap().stream_version, 2);
        right_ids.push(id);
    }
    for t in wrong {
        match t.await.unwrap() {
            Err(StoreError::Conflict { actual, .. }) => assert_eq!(actual, 1),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    for (original, t) in retries {
        assert_eq!(t.await.unwrap().unwrap(), original);
    }
    for (id, t) in reused {
        match t.await.unwrap() {
            Err(StoreError::DuplicateEventId(dup)) => assert_eq!(dup, id),
            other => panic!("expected a duplicate id, got {other:?}"),
        }
    }
    // The ten that succeeded were one round: one transaction, despite the ten failures in it.
    let rounds: i64 =
        sqlx::query_scalar("select count(distinct tx_id) from events where event_id = any($1)")
            .bind(&right_ids)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(rounds, 1);
    let total: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(total, 16 + 4 + 1 + 10);
    assert!(verify_log(&db.pool).await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_in_the_round_of_a_cancelled_leader_still_complete() {
    let db = TestDb::new().await;
    let store = one_leader(&db);
    let held = block_inserts(&db).await;

    // The test's own appends lead the rounds, so the test can cancel them by dropping them.
    let (first_stream, second_stream) = (stream("doc"), stream("doc"));
    let mut first = Box::pin(first_event(&store, &first_stream, "First"));
    tokio::select! {
        r = &mut first => panic!("the first append finished past the lock: {r:?}"),
        () = until("the first round waits", || async { blocked_inserts(&db).await == 1 }) => {}
    }
    // Queued first, so it leads the next round.
    let mut second = Box::pin(first_event(&store, &second_stream, "Second"));
    assert!(futures::poll!(&mut second).is_pending());
    let followers: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let (s, e) = (stream("doc"), event("Follower", json!({})));
            let id = e.event_id;
            let task = tokio::spawn({
                let s = s.clone();
                async move { store.append(&s, ExpectedVersion::NoStream, vec![e]).await }
            });
            (s, id, task)
        })
        .collect();
    until("the followers are queued", || async {
        store.queued_appends() == 11
    })
    .await;

    // Cancel the first leader; the second takes every queued append into its round …
    drop(first);
    tokio::select! {
        r = &mut second => panic!("the second append finished past the lock: {r:?}"),
        () = until("the second round waits", || async {
            store.queued_appends() == 0 && blocked_inserts(&db).await >= 2
        }) => {}
    }
    // … and is cancelled with its statement sent. Its followers append on their own.
    drop(second);
    until("the followers append alone", || async {
        blocked_inserts(&db).await >= 12
    })
    .await;
    held.commit().await.unwrap();

    for (s, id, task) in followers {
        let out = tokio::time::timeout(BOUND, task)
            .await
            .expect("a follower of a cancelled leader hangs")
            .unwrap()
            .unwrap();
        assert_eq!(out.stream_version, 1);
        let events = store.read_stream(&s, 1).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_id, id);
        assert_eq!(events[0].global_position, out.first_position);
    }
    // The store is not wedged: the next append goes through on its own.
    let out = tokio::time::timeout(BOUND, first_event(&store, &stream("doc"), "After"))
        .await
        .expect("appends hang after cancelled leaders")
        .unwrap();
    assert_eq!(out.stream_version, 1);
    assert!(verify_log(&db.pool).await.unwrap().is_intact());
}
