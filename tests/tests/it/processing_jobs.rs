//! The processing job queue: idempotent enqueue, competing workers never share a job, retries
//! back off and are bounded, a dead worker's lease expires and its late result is refused.

use std::collections::HashSet;
use std::time::Duration;

use docuvault_tests::TestDb;
use domain::ids::{DocumentId, UserId};
use infra::processing::{JobOutcome, JobQueue, JobStatus, QueueConfig};

async fn enqueue(db: &TestDb, doc: DocumentId, run: u32, owner: UserId) {
    let mut conn = db.pool.acquire().await.unwrap();
    JobQueue::enqueue(&mut conn, doc, run, owner).await.unwrap();
}

#[tokio::test]
async fn enqueue_is_idempotent() {
    let db = TestDb::new().await;
    let (doc, owner) = (DocumentId::new(), UserId::new());
    enqueue(&db, doc, 1, owner).await;
    enqueue(&db, doc, 1, owner).await;
    enqueue(&db, doc, 2, owner).await;
    let n: i64 = sqlx::query_scalar("select count(*) from processing_jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let q = JobQueue::new(db.pool.clone(), QueueConfig::default());
    let (status, attempts, _) = q.status(doc).await.unwrap().unwrap();
    assert_eq!((status, attempts), (JobStatus::Pending, 0));
}

#[tokio::test]
async fn competing_workers_never_claim_the_same_job() {
    let db = TestDb::new().await;
    let owner = UserId::new();
    let mut all = HashSet::new();
    for _ in 0..300 {
        let doc = DocumentId::new();
        enqueue(&db, doc, 1, owner).await;
        all.insert(doc);
    }
    let q = JobQueue::new(db.pool.clone(), QueueConfig::default());
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let q = q.clone();
            tokio::spawn(async move {
                let name = format!("worker-{w}");
                let mut mine = Vec::new();
                loop {
                    let jobs = q.claim(&name, 3).await.unwrap();
                    if jobs.is_empty() {
                        return mine;
                    }
                    for job in jobs {
                        assert!(q.finish(&job, &name, &JobOutcome::Done).await.unwrap());
                        mine.push(job.document_id);
                    }
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for w in workers {
        for doc in w.await.unwrap() {
            total += 1;
            assert!(seen.insert(doc), "{doc} was processed twice");
        }
    }
    assert_eq!(total, 300);
    assert_eq!(seen, all);
}

#[tokio::test]
async fn retries_back_off_and_stop_at_the_bound() {
    let db = TestDb::new().await;
    let (doc, owner) = (DocumentId::new(), UserId::new());
    enqueue(&db, doc, 1, owner).await;
    let q = JobQueue::new(
        db.pool.clone(),
        QueueConfig {
            max_attempts: 3,
            base_backoff: Duration::from_secs(3600),
            ..QueueConfig::default()
        },
    );
    for attempt in 1..=3 {
        let jobs = q.claim("w", 10).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].attempt, attempt);
        let retry = JobOutcome::Retry {
            code: "timeout".into(),
        };
        assert!(q.finish(&jobs[0], "w", &retry).await.unwrap());
        // Backing off: nothing to claim until the delay is over.
        assert!(q.claim("w", 10).await.unwrap().is_empty());
        let (status, _, _) = q.status(doc).await.unwrap().unwrap();
        let expected = if attempt < 3 {
            JobStatus::Pending
        } else {
            JobStatus::Failed
        };
        assert_eq!(status, expected);
        // Let the backoff pass.
        sqlx::query("update processing_jobs set available_at = now()")
            .execute(&db.pool)
            .await
            .unwrap();
    }
    assert!(
        q.claim("w", 10).await.unwrap().is_empty(),
        "failed jobs stay failed"
    );
    let last_error: String = sqlx::query_scalar("select last_error from processing_jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(last_error, "timeout");
}

#[tokio::test]
async fn a_dead_workers_job_is_taken_over_and_its_late_result_refused() {
    let db = TestDb::new().await;
    let (doc, owner) = (DocumentId::new(), UserId::new());
    enqueue(&db, doc, 1, owner).await;
    let q = JobQueue::new(
        db.pool.clone(),
        QueueConfig {
            lease: Duration::from_secs(3600),
            ..QueueConfig::default()
        },
    );
    let dead = q.claim("dead", 1).await.unwrap().remove(0);
    assert!(q.claim("alive", 1).await.unwrap().is_empty(), "leased");
    // The lease runs out (the worker crashed).
    sqlx::query("update processing_jobs set locked_until = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .unwrap();
    let taken = q.claim("alive", 1).await.unwrap().remove(0);
    assert_eq!(taken.document_id, doc);
    assert_eq!(taken.attempt, 2);
    assert!(!q.finish(&dead, "dead", &JobOutcome::Done).await.unwrap());
    assert!(q.finish(&taken, "alive", &JobOutcome::Done).await.unwrap());
    let (status, _, _) = q.status(doc).await.unwrap().unwrap();
    assert_eq!(status, JobStatus::Done);
}

/// The reactor turns confirmed uploads and reclassification requests into jobs, idempotently.
#[tokio::test]
async fn the_reactor_enqueues_uploads_and_reclassifications() {
    use std::sync::Arc;

    use domain::event::{EventMetadata, ExpectedVersion, NewEvent, StreamId};
    use domain::ports::EventStore;
    use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
    use projections::processing::ProcessingReactor;
    use projections::Projection;

    let db = TestDb::new().await;
    let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
    let store = PgEventStore::new(db.pool.clone(), keys);
    let (doc, owner) = (DocumentId::new(), UserId::new());
    let raw = |event_type: &str, data: serde_json::Value| NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data,
        metadata: EventMetadata::default(),
        data_key: None,
        recorded_at: chrono::Utc::now(),
    };
    // The documents aggregate's events, in their stored shape (the reactor decodes them as
    // `DocumentEvent`s; the file name reads as erased, no key being involved).
    store
        .append(
            &StreamId::new("document", doc),
            ExpectedVersion::NoStream,
            vec![
                raw(
                    "DocumentUploadRequested",
                    serde_json::json!({
                        "document_id": doc, "owner_id": owner, "size_bytes": 3,
                        "filename": {"$erased": true}, "declared_content_type": "text/plain",
                        "expires_at": "2030-01-01T00:00:00Z",
                    }),
                ),
                raw(
                    "DocumentUploaded",
                    serde_json::json!({"content_type": "text/plain", "size_bytes": 3}),
                ),
            ],
        )
        .await
        .unwrap();
    store
        .append(
            &StreamId::new("processing", doc),
            ExpectedVersion::NoStream,
            vec![raw(
                "ReclassificationRequested",
                serde_json::json!({"run": 2}),
            )],
        )
        .await
        .unwrap();
    let events = crate::intelligence::read_everything(&db.pool, &store).await;
    let mut tx = db.pool.begin().await.unwrap();
    ProcessingReactor.apply(&mut tx, &events).await.unwrap();
    ProcessingReactor.apply(&mut tx, &events).await.unwrap();
    tx.commit().await.unwrap();
    let jobs: Vec<(uuid::Uuid, i32, uuid::Uuid)> =
        sqlx::query_as("select document_id, run, owner_id from processing_jobs order by run")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        jobs,
        vec![
            (doc.as_uuid(), 1, owner.as_uuid()),
            (doc.as_uuid(), 2, owner.as_uuid())
        ]
    );
}
