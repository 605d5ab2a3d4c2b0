//! The processing worker end to end against the real event store and job queue, with an
//! in-memory documents side: extraction and classification are recorded once, a hostile file
//! fails only itself, competing workers never process a document twice, a crashed run resumes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use commands::CommandContext;
use docuvault_tests::TestDb;
use domain::classifier::TopicCandidate;
use domain::ids::{DocumentId, TopicId, UserId};
use domain::ports::{EventStore, SystemClock};
use domain::processing::{ExtractionKind, ProcessingCommand};
use domain::StreamId;
use infra::classify::{BuiltinClassifier, InMemoryModels};
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use infra::extract::{samples, ExtractLimits, Extractor, Ocr};
use infra::processing::{
    DocumentFacts, DocumentSource, JobQueue, JobStatus, QueueConfig, Worker, WorkerConfig,
};

#[derive(Default)]
struct Docs {
    files: Mutex<HashMap<DocumentId, (DocumentFacts, Bytes)>>,
    texts: Mutex<HashMap<String, String>>,
    topics: Vec<TopicCandidate>,
}

#[async_trait]
impl DocumentSource for Docs {
    async fn facts(&self, d: DocumentId) -> Result<Option<DocumentFacts>, String> {
        Ok(self.files.lock().unwrap().get(&d).map(|(f, _)| f.clone()))
    }
    async fn bytes(&self, _o: UserId, d: DocumentId) -> Result<Bytes, String> {
        Ok(self.files.lock().unwrap()[&d].1.clone())
    }
    async fn put_text(&self, o: UserId, d: DocumentId, text: &str) -> Result<String, String> {
        let key = format!("derived/{o}/{d}/text.txt");
        self.texts
            .lock()
            .unwrap()
            .insert(key.clone(), text.to_owned());
        Ok(key)
    }
    async fn text(&self, key: &str) -> Result<String, String> {
        self.texts
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .ok_or_else(|| "missing".into())
    }
    async fn topics(&self, _o: UserId) -> Result<Vec<TopicCandidate>, String> {
        Ok(self.topics.clone())
    }
}

struct Setup {
    db: TestDb,
    store: Arc<PgEventStore>,
    docs: Arc<Docs>,
    owner: UserId,
    invoices: TopicId,
}

async fn setup() -> Setup {
    let db = TestDb::new().await;
    let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
    let store = Arc::new(PgEventStore::new(db.pool.clone(), keys));
    let invoices = TopicId::new();
    let docs = Arc::new(Docs {
        topics: vec![TopicCandidate {
            id: invoices,
            name: "Invoices".into(),
            keywords: vec!["invoice".into()],
        }],
        ..Docs::default()
    });
    Setup {
        db,
        store,
        docs,
        owner: UserId::new(),
        invoices,
    }
}

impl Setup {
    async fn add(&self, filename: &str, bytes: Vec<u8>) -> DocumentId {
        let doc = DocumentId::new();
        let facts = DocumentFacts {
            owner: self.owner,
            filename: filename.into(),
            content_type: None,
            size_bytes: bytes.len() as u64,
        };
        self.docs
            .files
            .lock()
            .unwrap()
            .insert(doc, (facts, bytes.into()));
        let mut conn = self.db.pool.acquire().await.unwrap();
        JobQueue::enqueue(&mut conn, doc, 1, self.owner)
            .await
            .unwrap();
        doc
    }

    fn worker(&self, name: &str) -> Worker {
        let ctx = CommandContext::system(self.store.clone(), Arc::new(SystemClock));
        Worker {
            ctx,
            queue: JobQueue::new(
                self.db.pool.clone(),
                QueueConfig {
                    max_attempts: 2,
                    base_backoff: Duration::from_secs(3600),
                    ..QueueConfig::default()
                },
            ),
            source: self.docs.clone(),
            extractor: Arc::new(Extractor::with_ocr(
                ExtractLimits::default(),
                Ocr::disabled(),
            )),
            classifier: Arc::new(BuiltinClassifier::new(Arc::new(InMemoryModels::default()))),
            config: WorkerConfig {
                name: name.into(),
                batch: 2,
                ..WorkerConfig::default()
            },
        }
    }

    async fn types(&self, doc: DocumentId) -> Vec<String> {
        self.store
            .read_stream(&StreamId::new("processing", doc), 1)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    async fn drain(&self, worker: &Worker) {
        for _ in 0..100 {
            if worker.round().await.unwrap() == 0 {
                return;
            }
        }
        panic!("the queue did not drain");
    }
}

#[tokio::test]
async fn a_document_is_extracted_classified_and_a_hostile_one_fails_alone() {
    let s = setup().await;
    let good = s
        .add(
            "bill.docx",
            samples::docx(&["Invoice 2026-11 for services"]),
        )
        .await;
    let bomb = s.add("bomb.docx", samples::docx_bomb(200)).await;
    let scan = s
        .add("scan.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
        .await;
    let worker = s.worker("w1");
    s.drain(&worker).await;

    assert_eq!(
        s.types(good).await,
        ["TextExtracted", "TopicsSuggested", "DocumentClassified"]
    );
    let classified = s
        .store
        .read_stream(&StreamId::new("processing", good), 3)
        .await
        .unwrap();
    assert_eq!(
        classified[0].data["topic_ids"],
        serde_json::json!([s.invoices])
    );
    assert_eq!(
        s.docs.texts.lock().unwrap().len(),
        1,
        "only the good document has text"
    );

    assert_eq!(s.types(bomb).await, ["ProcessingFailed"]);
    let failed = s
        .store
        .read_stream(&StreamId::new("processing", bomb), 1)
        .await
        .unwrap();
    assert_eq!(failed[0].data["code"], "decompression_bomb");
    assert_eq!(failed[0].data["permanent"], true);
    let (status, _, _) = worker.queue.status(bomb).await.unwrap().unwrap();
    assert_eq!(status, JobStatus::Failed);

    // No OCR here: the image is ready, findable by name, with a clear extraction outcome.
    let events = s
        .store
        .read_stream(&StreamId::new("processing", scan), 1)
        .await
        .unwrap();
    assert_eq!(
        events[0].data["kind"],
        serde_json::to_value(ExtractionKind::OcrUnavailable).unwrap()
    );
    assert_eq!(events.last().unwrap().event_type, "DocumentClassified");
}

#[tokio::test]
async fn two_workers_never_process_one_document_twice() {
    let s = setup().await;
    let mut docs = Vec::new();
    for i in 0..16 {
        docs.push(
            s.add(
                &format!("n{i}.txt"),
                format!("invoice number {i}").into_bytes(),
            )
            .await,
        );
    }
    let (a, b) = (s.worker("a"), s.worker("b"));
    tokio::join!(s.drain(&a), s.drain(&b));
    for doc in docs {
        assert_eq!(
            s.types(doc).await,
            ["TextExtracted", "TopicsSuggested", "DocumentClassified"],
            "{doc}"
        );
    }
}

#[tokio::test]
async fn a_run_interrupted_after_extraction_resumes_without_duplicates() {
    let s = setup().await;
    let doc = s.add("note.txt", b"invoice for the garden".to_vec()).await;
    // A previous attempt extracted, stored the text and crashed before classifying.
    let key = s
        .docs
        .put_text(s.owner, doc, "invoice for the garden")
        .await
        .unwrap();
    let ctx = CommandContext::system(s.store.clone(), Arc::new(SystemClock));
    commands::processing::handle(
        &ctx,
        doc,
        s.owner,
        ProcessingCommand::RecordExtraction {
            run: 1,
            kind: ExtractionKind::Native,
            text_object: Some(key),
            chars: 22,
            truncated: false,
        },
    )
    .await
    .unwrap();
    s.drain(&s.worker("w")).await;
    assert_eq!(
        s.types(doc).await,
        ["TextExtracted", "TopicsSuggested", "DocumentClassified"]
    );
}
