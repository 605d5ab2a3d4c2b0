//! Topic and processing commands against the real event store, folded by their projections.

use std::sync::Arc;

use commands::CommandContext;
use docuvault_tests::TestDb;
use domain::ids::{DocumentId, TopicId, UserId};
use domain::ports::{EventStore, SystemClock};
use domain::processing::{ClassificationRecord, ExtractionKind, ProcessingCommand, SuggestedTopic};
use domain::topic::{Keywords, TopicCommand, TopicEditor, TopicName};
use domain::Checkpoint;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use projections::processing::ProcessingProjection;
use projections::topics::TopicsProjection;
use projections::Projection;

/// `(topic_id, owner_id, name, keywords)` as the `topics` read model holds them.
type TopicRow = (uuid::Uuid, Option<uuid::Uuid>, Option<String>, Vec<String>);

fn context(db: &TestDb) -> (CommandContext, Arc<PgEventStore>) {
    let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
    let store = Arc::new(PgEventStore::new(db.pool.clone(), keys));
    (
        CommandContext::system(store.clone(), Arc::new(SystemClock)),
        store,
    )
}

/// Every event in the log. The never-skip read holds back events while any older transaction is
/// in flight anywhere in the cluster (other tests run beside this one), so poll, bounded, until
/// the read reaches the last event appended.
pub async fn read_everything(
    pool: &sqlx::PgPool,
    store: &PgEventStore,
) -> Vec<domain::RecordedEvent> {
    let last: i64 = sqlx::query_scalar("select coalesce(max(global_position), 0) from events")
        .fetch_one(pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let events = store.read_all(Checkpoint::START, 1_000_000).await.unwrap();
        if events.iter().any(|e| e.global_position == last as u64) || last == 0 {
            return events;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the log never became readable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Folds the whole log into both projections, as the runtime would.
async fn project(db: &TestDb, store: &PgEventStore) {
    let events = read_everything(&db.pool, store).await;
    let mut tx = db.pool.begin().await.unwrap();
    for p in [&TopicsProjection as &dyn Projection, &ProcessingProjection] {
        p.apply(&mut tx, &events).await.unwrap();
        // Applying twice changes nothing: handlers are idempotent.
        p.apply(&mut tx, &events).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn create(id: TopicId, name: &str, keywords: &[&str]) -> TopicCommand {
    TopicCommand::Create {
        id,
        name: TopicName::parse(name).unwrap(),
        keywords: Keywords::parse(keywords).unwrap(),
        shadows: None,
    }
}

#[tokio::test]
async fn topics_are_stored_encrypted_and_projected_readable() {
    let db = TestDb::new().await;
    let (ctx, store) = context(&db);
    let (alice, admin) = (UserId::new(), UserId::new());
    let (mine, system) = (TopicId::new(), TopicId::new());
    commands::topic::handle(
        &ctx,
        mine,
        TopicEditor::User(alice),
        create(mine, "Therapy", &["session"]),
    )
    .await
    .unwrap();
    commands::topic::handle(
        &ctx,
        system,
        TopicEditor::Admin(admin),
        create(system, "Finance", &[]),
    )
    .await
    .unwrap();
    commands::topic::handle(
        &ctx,
        mine,
        TopicEditor::User(alice),
        TopicCommand::Rename {
            name: TopicName::parse("Health").unwrap(),
        },
    )
    .await
    .unwrap();
    // Another user cannot touch alice's topic, and it looks missing to them.
    let err = commands::topic::handle(
        &ctx,
        mine,
        TopicEditor::User(UserId::new()),
        TopicCommand::Delete,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, commands::CommandError::NotFound), "{err:?}");

    // The stored payload holds no plaintext name.
    let raw: Vec<String> =
        sqlx::query_scalar("select data::text from events where stream_id like 'topic-%'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert!(
        raw.iter()
            .all(|d| !d.contains("Therapy") && !d.contains("Health")),
        "{raw:?}"
    );

    project(&db, &store).await;
    let rows: Vec<TopicRow> =
        sqlx::query_as("select topic_id, owner_id, name, keywords from topics order by name")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (system.as_uuid(), None, Some("Finance".into()), vec![]),
            (
                mine.as_uuid(),
                Some(alice.as_uuid()),
                Some("Health".into()),
                vec!["session".into()]
            ),
        ]
    );
}

#[tokio::test]
async fn a_processing_run_and_the_owners_decision_are_projected() {
    let db = TestDb::new().await;
    let (ctx, store) = context(&db);
    let (owner, doc, topic, other) = (
        UserId::new(),
        DocumentId::new(),
        TopicId::new(),
        TopicId::new(),
    );
    let extraction = ProcessingCommand::RecordExtraction {
        run: 1,
        kind: ExtractionKind::Native,
        text_object: Some(format!("derived/{owner}/{doc}/text.txt")),
        chars: 1234,
        truncated: false,
    };
    let classification = ProcessingCommand::RecordClassification {
        run: 1,
        classification: ClassificationRecord {
            provider: "builtin".into(),
            model: None,
            fell_back: false,
            suggestions: vec![SuggestedTopic {
                topic_id: topic,
                confidence: 0.9,
            }],
            terms: vec!["confidential-term".into()],
        },
    };
    // A worker that crashed after appending retries the whole run: nothing is appended twice.
    for _ in 0..2 {
        commands::processing::handle(&ctx, doc, owner, extraction.clone())
            .await
            .unwrap();
        commands::processing::handle(&ctx, doc, owner, classification.clone())
            .await
            .unwrap();
    }
    let events = store
        .read_stream(&domain::StreamId::new("processing", doc), 1)
        .await
        .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["TextExtracted", "TopicsSuggested", "DocumentClassified"]
    );
    let raw: String =
        sqlx::query_scalar("select data::text from events where event_type = 'TopicsSuggested'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        !raw.contains("confidential-term"),
        "explaining terms are encrypted: {raw}"
    );

    project(&db, &store).await;
    let row: (String, Option<String>, Vec<uuid::Uuid>, Option<String>) = sqlx::query_as(
        "select status, extraction, topic_ids, topics_source from document_processing",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "ready".into(),
            Some("native".into()),
            vec![topic.as_uuid()],
            Some("auto".into())
        )
    );

    commands::processing::handle(
        &ctx,
        doc,
        owner,
        ProcessingCommand::SetTopics {
            topic_ids: vec![other],
        },
    )
    .await
    .unwrap();
    commands::processing::handle(&ctx, doc, owner, ProcessingCommand::RequestReclassification)
        .await
        .unwrap();
    project(&db, &store).await;
    let row: (String, i32, Vec<uuid::Uuid>) =
        sqlx::query_as("select status, run, topic_ids from document_processing")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(row, ("pending".into(), 2, vec![other.as_uuid()]));
}
