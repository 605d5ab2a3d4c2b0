//! Full-text search over the `search` projection: content, phrase and prefix matches, stems and
//! stopwords, ranking, highlighting, topic names, filters, pagination, broad queries, and never
//! another user's unshared document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use commands::CommandContext;
use docuvault_tests::TestDb;
use domain::event::{EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ids::{DocumentId, TopicId, UserId};
use domain::ports::{EventStore, SystemClock};
use domain::processing::{ClassificationRecord, ExtractionKind, ProcessingCommand, SuggestedTopic};
use domain::topic::{Keywords, TopicCommand, TopicEditor, TopicName};
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use infra::readmodels::search::search;
use projections::search::{
    SearchPage, SearchProjection, SearchQuery, Strategy, TextLoadError, TextLoader,
};
use projections::topics::TopicsProjection;
use projections::Projection;

#[derive(Default)]
struct Texts(Mutex<HashMap<String, String>>);

#[async_trait]
impl TextLoader for Texts {
    async fn load(&self, key: &str) -> Result<Option<String>, TextLoadError> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
}

/// The cheapest estimated (`None`, what the API runs) and each way of finding the candidates.
const EVERY_STRATEGY: [Option<Strategy>; 5] = [
    None,
    Some(Strategy::Index),
    Some(Strategy::Walk),
    Some(Strategy::WordThenPrefix),
    Some(Strategy::Whole),
];

struct World {
    db: TestDb,
    /// Searches run on a pool configured as the API's (`infra::page_read_pool`: generic plans).
    reads: sqlx::PgPool,
    store: Arc<PgEventStore>,
    ctx: CommandContext,
    texts: Arc<Texts>,
}

fn raw(owner: UserId, event_type: &str, data: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data,
        metadata: EventMetadata::default(),
        data_key: Some(owner.as_uuid()),
        recorded_at: chrono::Utc::now(),
    }
}

impl World {
    async fn new() -> World {
        let db = TestDb::new().await;
        let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
        let store = Arc::new(PgEventStore::new(db.pool.clone(), keys));
        let ctx = CommandContext::system(store.clone(), Arc::new(SystemClock));
        let reads = infra::page_read_pool(db.pool.connect_options().as_ref().clone(), 2);
        World {
            db,
            reads,
            store,
            ctx,
            texts: Arc::new(Texts::default()),
        }
    }

    /// An uploaded document of `owner` with extracted `text` and `topics`, as the documents
    /// aggregate and the worker record it.
    async fn document(
        &self,
        owner: UserId,
        filename: &str,
        text: &str,
        topics: &[TopicId],
    ) -> DocumentId {
        let doc = DocumentId::new();
        self.store
            .append(
                &StreamId::new("document", doc),
                ExpectedVersion::NoStream,
                vec![
                    raw(
                        owner,
                        "DocumentUploadRequested",
                        serde_json::json!({
                            "document_id": doc, "owner_id": owner,
                            "filename": {"$pii": filename},
                            "declared_content_type": "text/plain", "size_bytes": text.len(),
                            "expires_at": "2030-01-01T00:00:00Z"
                        }),
                    ),
                    raw(
                        owner,
                        "DocumentUploaded",
                        serde_json::json!({
                            "content_type": "text/plain", "size_bytes": text.len()
                        }),
                    ),
                ],
            )
            .await
            .unwrap();
        let key = format!("derived/{owner}/{doc}/text.txt");
        self.texts
            .0
            .lock()
            .unwrap()
            .insert(key.clone(), text.to_owned());
        let run = |c| commands::processing::handle(&self.ctx, doc, owner, c);
        run(ProcessingCommand::RecordExtraction {
            run: 1,
            kind: ExtractionKind::Native,
            text_object: Some(key),
            chars: text.chars().count() as u64,
            truncated: false,
        })
        .await
        .unwrap();
        run(ProcessingCommand::RecordClassification {
            run: 1,
            classification: ClassificationRecord {
                provider: "builtin".into(),
                model: None,
                fell_back: false,
                suggestions: topics
                    .iter()
                    .map(|t| SuggestedTopic {
                        topic_id: *t,
                        confidence: 1.0,
                    })
                    .collect(),
                terms: vec![],
            },
        })
        .await
        .unwrap();
        doc
    }

    /// `owner` shares `doc` with `recipient` (to view).
    async fn share(&self, owner: UserId, doc: DocumentId, recipient: UserId) {
        self.document_event(
            owner,
            doc,
            "DocumentShared",
            serde_json::json!({
                "share_id": uuid::Uuid::now_v7(), "recipient_id": recipient, "permission": "view"
            }),
        )
        .await;
    }

    /// A topic of `owner`'s.
    async fn topic(&self, owner: UserId, name: &str) -> TopicId {
        let topic = TopicId::new();
        commands::topic::handle(
            &self.ctx,
            topic,
            TopicEditor::User(owner),
            TopicCommand::Create {
                id: topic,
                name: TopicName::parse(name).unwrap(),
                keywords: Keywords::default(),
                shadows: None,
            },
        )
        .await
        .unwrap();
        topic
    }

    async fn document_event(
        &self,
        owner: UserId,
        doc: DocumentId,
        event_type: &str,
        data: serde_json::Value,
    ) {
        self.store
            .append(
                &StreamId::new("document", doc),
                ExpectedVersion::Any,
                vec![raw(owner, event_type, data)],
            )
            .await
            .unwrap();
    }

    async fn project(&self) {
        sqlx::query("truncate search_documents, search_shares, topics")
            .execute(&self.db.pool)
            .await
            .unwrap();
        let events = crate::intelligence::read_everything(&self.db.pool, &self.store).await;
        let mut tx = self.db.pool.begin().await.unwrap();
        TopicsProjection.apply(&mut tx, &events).await.unwrap();
        SearchProjection::new(self.texts.clone())
            .apply(&mut tx, &events)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// `project`, then the statistics the cost model reads.
    async fn project_and_analyze(&self) {
        self.project().await;
        sqlx::query("analyze search_documents")
            .execute(&self.db.pool)
            .await
            .unwrap();
    }

    async fn find(&self, caller: UserId, q: &str) -> Vec<(Option<String>, String)> {
        self.find_by(caller, q, None).await
    }

    /// The first page of 50, the text candidates found the given way (`None`: the cheapest
    /// estimated), a walk testing at most `walk_limit` documents (`None`: the product's).
    async fn page(
        &self,
        caller: UserId,
        q: &str,
        strategy: Option<Strategy>,
        walk_limit: Option<u32>,
    ) -> SearchPage {
        search(
            &self.reads,
            &SearchQuery {
                caller: Some(caller),
                q: q.into(),
                limit: 50,
                strategy,
                walk_limit,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap()
    }

    /// `find`, the text candidates found the given way (`None`: the cheapest estimated).
    async fn find_by(
        &self,
        caller: UserId,
        q: &str,
        strategy: Option<Strategy>,
    ) -> Vec<(Option<String>, String)> {
        self.page(caller, q, strategy, None)
            .await
            .items
            .into_iter()
            .map(|h| (h.filename, h.snippet))
            .collect()
    }

    async fn names(&self, caller: UserId, q: &str) -> Vec<String> {
        self.names_by(caller, q, None).await
    }

    async fn names_by(&self, caller: UserId, q: &str, strategy: Option<Strategy>) -> Vec<String> {
        self.find_by(caller, q, strategy)
            .await
            .into_iter()
            .map(|(f, _)| f.unwrap())
            .collect()
    }
}

#[tokio::test]
async fn finds_by_content_phrase_and_prefix_and_highlights() {
    let w = World::new().await;
    let alice = UserId::new();
    w.document(
        alice,
        "lease.txt",
        "The tenant pays the monthly rent to the landlord before the fifth.",
        &[],
    )
    .await;
    w.document(
        alice,
        "insurance.txt",
        "Your household insurance covers water damage in the flat.",
        &[],
    )
    .await;
    w.document(
        alice,
        "notes.txt",
        "Landlord called. The rent is monthly; the tenant is happy.",
        &[],
    )
    .await;
    w.project().await;

    let mut both = w.names(alice, "rent landlord").await;
    both.sort();
    assert_eq!(both, ["lease.txt", "notes.txt"]);
    // A phrase matches the words in that order only.
    assert_eq!(w.names(alice, "\"monthly rent\"").await, ["lease.txt"]);
    // Prefix: "insur" finds "insurance"; exclusion removes a match.
    assert_eq!(w.names(alice, "insur").await, ["insurance.txt"]);
    assert_eq!(w.names(alice, "landlord -happy").await, ["lease.txt"]);
    // Filename matches weigh more than body matches.
    w.document(alice, "rent-2026.txt", "Receipt.", &[]).await;
    w.project().await;
    assert_eq!(w.names(alice, "rent").await[0], "rent-2026.txt");

    let hits = w.find(alice, "damage").await;
    assert!(hits[0].1.contains("<mark>damage</mark>"), "{hits:?}");
}

#[tokio::test]
async fn never_returns_another_users_unshared_document() {
    let w = World::new().await;
    let (alice, bob) = (UserId::new(), UserId::new());
    let doc = w
        .document(
            alice,
            "diagnosis.txt",
            "Confidential diagnosis from the clinic.",
            &[],
        )
        .await;
    w.project().await;
    assert_eq!(w.names(alice, "diagnosis").await, ["diagnosis.txt"]);
    assert!(w.names(bob, "diagnosis").await.is_empty());

    w.share(alice, doc, bob).await;
    w.project().await;
    // Found however the candidates are found (each strategy's statement has the shares' arm
    // once the caller has something shared with them).
    for strategy in EVERY_STRATEGY {
        let page = w.page(bob, "clinic", strategy, None).await;
        assert_eq!(page.items.len(), 1, "{strategy:?}");
        assert!(page.items[0].shared, "{strategy:?}");
    }
    // Not among the documents Bob owns (the document listing's `q`).
    let owned = search(
        &w.reads,
        &SearchQuery {
            caller: Some(bob),
            q: "clinic".into(),
            limit: 10,
            only_owned: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(owned.items.is_empty());

    w.document_event(
        alice,
        doc,
        "ShareRevoked",
        serde_json::json!({
            "share_id": uuid::Uuid::now_v7(), "recipient_id": bob
        }),
    )
    .await;
    w.project().await;
    assert!(
        w.names(bob, "clinic").await.is_empty(),
        "revocation is immediate"
    );

    w.document_event(
        alice,
        doc,
        "DocumentTrashed",
        serde_json::json!({"trashed_at": "2026-11-28T00:00:00Z"}),
    )
    .await;
    w.project().await;
    assert!(
        w.names(alice, "clinic").await.is_empty(),
        "trashed documents are not found"
    );
}

#[tokio::test]
async fn topic_names_filters_and_pagination() {
    let w = World::new().await;
    let alice = UserId::new();
    let travel = w.topic(alice, "Travel").await;
    w.document(alice, "boarding.txt", "Gate B12, seat 14C.", &[travel])
        .await;
    for i in 0..7 {
        w.document(alice, &format!("report-{i}.txt"), "quarterly report", &[])
            .await;
    }
    w.project().await;
    // The topic's name finds the document although its text never says "travel".
    assert_eq!(w.names(alice, "travel").await, ["boarding.txt"]);
    for strategy in EVERY_STRATEGY {
        assert_eq!(
            w.names_by(alice, "travel", strategy).await,
            ["boarding.txt"],
            "{strategy:?}"
        );
    }
    let page = search(
        &w.reads,
        &SearchQuery {
            caller: Some(alice),
            q: "seat".into(),
            topic: Some(travel.as_uuid()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.items.len(), 1);

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = search(
            &w.reads,
            &SearchQuery {
                caller: Some(alice),
                q: "report".into(),
                limit: 3,
                cursor: cursor.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        seen.extend(page.items.into_iter().map(|h| h.document_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (7, 7));
}

#[tokio::test]
async fn stems_stopwords_and_snippets_of_long_texts() {
    let w = World::new().await;
    let alice = UserId::new();
    w.document(alice, "to-do.txt", "Buy milk and call the plumber.", &[])
        .await;
    w.document(alice, "the-lease.txt", "Signed lease for the flat.", &[])
        .await;
    w.document(
        alice,
        "supplier.txt",
        "Two invoices from our company arrived.",
        &[],
    )
    .await;
    // A match 10,000 characters into a text; capitalised, and in capitals: the text is searched
    // for the word as the query has it, capitalised and in capitals, not lowered. The first of
    // the three is the snippet's anchor, however the later ones are written.
    let filler = "lorem ipsum dolor sit amet ".repeat(400);
    for (name, middle) in [
        ("long.txt", "the zebrafish tank"),
        ("walrus.txt", "Walrus seen. Later a walrus again."),
        ("ostrich.txt", "OSTRICH FARM: an Ostrich, an ostrich."),
    ] {
        w.document(alice, name, &format!("{filler}{middle}{filler}"), &[])
            .await;
    }
    // A text of 432,000 characters: the anchor is looked for in its first 100,000 only.
    let long = "lorem ipsum dolor sit amet ".repeat(2_000);
    w.document(
        alice,
        "huge.txt",
        &format!("{long}a narwhal. {}an okapi. {long}", long.repeat(6)),
        &[],
    )
    .await;
    w.project().await;

    // English stems: one form of a word finds the others, and the snippet marks the form found.
    let hits = w.find(alice, "invoice companies").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0.as_deref(), Some("supplier.txt"));
    assert!(hits[0].1.contains("<mark>invoices</mark>"), "{hits:?}");
    // Stopwords no longer match every text; next to a real word they are left out.
    assert_eq!(w.names(alice, "the lease").await, ["the-lease.txt"]);
    // A query of stopwords only is answered from the filenames (no text says "to do").
    assert_eq!(w.names(alice, "the").await, ["the-lease.txt"]);
    assert_eq!(w.names(alice, "to do").await, ["to-do.txt"]);
    // A match 10,000 characters into a text is still shown, cut from around it: the first
    // match, also when capitalised or in capitals; in a huge text, within its first 100,000
    // characters.
    for (q, marked) in [
        ("zebrafish", "<mark>zebrafish</mark>"),
        ("walrus", "<mark>Walrus</mark> seen"),
        ("ostrich", "<mark>OSTRICH</mark> FARM"),
        ("narwhal", "<mark>narwhal</mark>"),
    ] {
        let hits = w.find(alice, q).await;
        assert_eq!(hits.len(), 1, "{q}: {hits:?}");
        assert!(hits[0].1.contains(marked), "{q}: {hits:?}");
        assert!(hits[0].1.len() < 1_000, "{q}: {hits:?}");
    }
    // Found, but past the part searched for the snippet: the snippet is the text's start.
    let hits = w.find(alice, "okapi").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.starts_with("lorem ipsum"), "{hits:?}");
    assert!(!hits[0].1.contains("<mark>"), "{hits:?}");
}

#[tokio::test]
async fn broad_words_and_prefixes_find_exactly_their_matches() {
    let w = World::new().await;
    let alice = UserId::new();
    // "report" is in every text, "quarterly" in every other, "zanzibar" in two.
    for i in 0..40 {
        let quarterly = if i % 2 == 0 { " quarterly" } else { "" };
        let zanzibar = if i < 2 { " zanzibar" } else { "" };
        w.document(
            alice,
            &format!("file-{i}.txt"),
            &format!("report number {i}{quarterly}{zanzibar}"),
            &[],
        )
        .await;
    }
    w.document(alice, "report-2026.txt", "Nothing else.", &[])
        .await;
    w.document(alice, "the-end.txt", "Nothing more.", &[]).await;
    for name in ["it-was.txt", "was-items.txt", "was-alone.txt"] {
        w.document(alice, name, "Nothing new.", &[]).await;
    }
    // With statistics, as the cost model sees them; every way of finding the candidates (a
    // vault this small always takes the index by itself) finds the same.
    w.project_and_analyze().await;

    for strategy in EVERY_STRATEGY {
        let all = w.names_by(alice, "report", strategy).await;
        assert_eq!(all.len(), 41, "{strategy:?}: {all:?}");
        assert_eq!(
            all[0], "report-2026.txt",
            "{strategy:?}: filename matches first"
        );
        let both = w.names_by(alice, "report qua", strategy).await;
        assert_eq!(both.len(), 20, "{strategy:?}: {both:?}");
        let one = w.names_by(alice, "zanzibar qua", strategy).await;
        assert_eq!(one, ["file-0.txt"], "{strategy:?}");
        let mut narrow = w.names_by(alice, "report zanz", strategy).await;
        narrow.sort();
        assert_eq!(narrow, ["file-0.txt", "file-1.txt"], "{strategy:?}");
        let none = w.names_by(alice, "zanzibar xyz", strategy).await;
        assert!(none.is_empty(), "{strategy:?}: {none:?}");
        // Stopwords only: filenames, found through their index or walked.
        assert_eq!(w.names_by(alice, "the", strategy).await, ["the-end.txt"]);
        // And a stopword before a stopword's prefix ('was' & 'it':*, in the filenames).
        let mut was_it = w.names_by(alice, "was it", strategy).await;
        was_it.sort();
        assert_eq!(was_it, ["it-was.txt", "was-items.txt"], "{strategy:?}");
    }
}

#[tokio::test]
async fn tiered_indexes_hold_broad_queries_to_their_candidates() {
    let w = World::new().await;
    // Every tier the query asks for has its partial indexes (a tier without them would still
    // be answered, by a sequential scan), and nothing indexes all documents at once.
    let defs: Vec<String> = sqlx::query_scalar(
        "select indexdef from pg_indexes \
         where schemaname = current_schema() and tablename = 'search_documents'",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    for column in ["tsv", "name_tsv"] {
        for (lo, hi) in infra::readmodels::search::TIERS {
            let tier =
                format!("USING gin ({column}) WHERE ((bucket >= {lo}) AND (bucket <= {hi}))");
            assert_eq!(
                defs.iter().filter(|d| d.ends_with(&tier)).count(),
                1,
                "{tier}: {defs:#?}"
            );
        }
        let whole = format!("USING gin ({column})");
        assert!(!defs.iter().any(|d| d.ends_with(&whole)), "{defs:#?}");
    }

    // 300 matches spread over the tiers by their ids: the page is full and ranked, and a word
    // in three of them is found in whichever tiers those fell into.
    let alice = UserId::new();
    for i in 0..300 {
        let rare = if i % 100 == 7 { " zanzibar" } else { "" };
        w.document(
            alice,
            &format!("file-{i}.txt"),
            &format!("report {i}{rare}"),
            &[],
        )
        .await;
    }
    w.project_and_analyze().await;
    let buckets: Vec<i16> =
        sqlx::query_scalar("select distinct bucket from search_documents order by 1")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert!(
        buckets.len() > 40,
        "ids spread over the buckets: {buckets:?}"
    );
    for strategy in [
        None,
        Some(Strategy::Index),
        Some(Strategy::Walk),
        Some(Strategy::Whole),
    ] {
        let page = w.page(alice, "report", strategy, None).await;
        assert_eq!(page.items.len(), 50, "{strategy:?}");
        assert!(page.next_cursor.is_some(), "{strategy:?}");
        assert!(page
            .items
            .iter()
            .all(|h| h.snippet.contains("<mark>report</mark>")));
        assert!(page.items.windows(2).all(|p| p[0].rank >= p[1].rank));
        let mut rare = w.names_by(alice, "zanzibar", strategy).await;
        rare.sort();
        assert_eq!(
            rare,
            ["file-107.txt", "file-207.txt", "file-7.txt"],
            "{strategy:?}"
        );
    }

    // Past the walk's limit, the index branches find what the walk did not test.
    for strategy in [Strategy::Walk, Strategy::Whole] {
        let mut names: Vec<String> = w
            .page(alice, "zanzibar", Some(strategy), Some(10))
            .await
            .items
            .into_iter()
            .map(|h| h.filename.unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["file-107.txt", "file-207.txt", "file-7.txt"],
            "{strategy:?}"
        );
    }

    // The snippet's window is cut from the text's bytes: in two-byte letters its start falls
    // inside one, which is dropped with the rest of its word.
    let bob = UserId::new();
    let text = format!("{}Nájemní smlouva končí.", "žluťoučký kůň ".repeat(40));
    w.document(bob, "smlouva.txt", &text, &[]).await;
    w.project().await;
    let hits = w.find(bob, "nájemní").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let snippet = &hits[0].1;
    assert!(
        snippet.contains("<mark>Nájemní</mark> smlouva končí."),
        "{snippet}"
    );
    assert!(
        snippet.starts_with("žluťoučký ") || snippet.starts_with("kůň "),
        "{snippet}"
    );
    // Bob's few documents, all tested: none of Alice's.
    for strategy in [None, Some(Strategy::Whole), Some(Strategy::Walk)] {
        assert!(w.names_by(bob, "report", strategy).await.is_empty());
        assert_eq!(w.names_by(bob, "smlouva", strategy).await, ["smlouva.txt"]);
    }

    // The search pool's sessions: generic plans, no prefetching, no notices, no JIT
    // (infra::page_read_pool).
    let settings: (String, String, String, String) = sqlx::query_as(
        "select current_setting('plan_cache_mode'), current_setting('effective_io_concurrency'), \
         current_setting('client_min_messages'), current_setting('jit')",
    )
    .fetch_one(&w.reads)
    .await
    .unwrap();
    assert_eq!(
        settings,
        (
            "force_generic_plan".into(),
            "0".into(),
            "warning".into(),
            "off".into()
        )
    );
}

/// Every page of `query` (its cursor followed to the end).
async fn every_page(
    reads: &sqlx::PgPool,
    query: SearchQuery,
) -> Vec<projections::search::SearchHit> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let page = search(
            reads,
            &SearchQuery {
                cursor: cursor.clone(),
                ..query.clone()
            },
        )
        .await
        .unwrap();
        assert!(page.items.len() <= query.limit as usize);
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return all;
        }
        assert!(
            all.len() % query.limit as usize == 0,
            "only the last page is short"
        );
    }
    panic!("{:?}: more than 100 pages", query.q);
}

#[tokio::test]
async fn broad_queries_page_through_every_match() {
    let w = World::new().await;
    let (alice, bob) = (UserId::new(), UserId::new());
    let travel = w.topic(alice, "Travel").await;
    // More matches than any arm ranks: 180 texts (70 of them in their filename too, more
    // than the filename matches ranked), 120 documents in a topic the query names, 80
    // filenames of a stopword; and Bob's 110 shared with Alice, more than the shares ranked.
    let mut reports = Vec::new();
    let mut since = chrono::Utc::now();
    for i in 0..180 {
        if i == 40 {
            since = chrono::Utc::now();
        }
        let name = if i < 70 {
            format!("report-{i}.txt")
        } else {
            format!("file-{i}.txt")
        };
        reports.push(
            w.document(alice, &name, &format!("annual report number {i}"), &[])
                .await,
        );
    }
    for i in 0..120 {
        w.document(alice, &format!("pass-{i}.txt"), "boarding pass", &[travel])
            .await;
    }
    for i in 0..80 {
        w.document(alice, &format!("the-{i}.txt"), "nothing here", &[])
            .await;
    }
    let mut shared = Vec::new();
    for i in 0..110 {
        let doc = w
            .document(bob, &format!("bob-{i}.txt"), "report of Bob", &[])
            .await;
        w.share(bob, doc, alice).await;
        shared.push(doc);
    }
    // Bob's own, not shared: never Alice's.
    for i in 0..20 {
        w.document(bob, &format!("bob-own-{i}.txt"), "report", &[])
            .await;
    }
    w.project_and_analyze().await;

    let ids = |docs: &[DocumentId]| {
        let mut ids: Vec<uuid::Uuid> = docs.iter().map(|d| d.as_uuid()).collect();
        ids.sort();
        ids
    };
    let mine = ids(&reports);
    let with_shared = ids(&[reports.clone(), shared.clone()].concat());
    // Every way of finding the candidates, the tail walked or collected through the indexes
    // (or a walk of 10 documents, too few for a page: the indexes after it).
    for strategy in EVERY_STRATEGY {
        for (tail_walks, walk_limit) in [
            (None, None),
            (Some(false), None),
            (Some(true), None),
            (Some(true), Some(10)),
        ] {
            let how = format!("{strategy:?} {tail_walks:?} {walk_limit:?}");
            let query = |q: &str, only_owned: bool| SearchQuery {
                caller: Some(alice),
                q: q.into(),
                limit: 30,
                only_owned,
                strategy,
                walk_limit,
                tail_walks,
                ..SearchQuery::default()
            };
            for (q, only_owned, expected) in
                [("report", true, &mine), ("report", false, &with_shared)]
            {
                let hits = every_page(&w.reads, query(q, only_owned)).await;
                let mut found: Vec<uuid::Uuid> = hits.iter().map(|h| h.document_id).collect();
                found.sort();
                let unique = found.windows(2).filter(|p| p[0] != p[1]).count() + 1;
                assert_eq!(
                    (found.len(), unique),
                    (expected.len(), expected.len()),
                    "{how} {q} {only_owned}: each match once"
                );
                assert!(&found == expected, "{how} {q} {only_owned}: the matches");
                assert!(
                    hits.iter()
                        .all(|h| h.snippet.contains("<mark>report</mark>")),
                    "{how}: snippets in the tail too"
                );
                // The ranked first, best first; then the tail, newest first.
                let ranked = hits.iter().take_while(|h| h.ranked).count();
                let (best, tail) = hits.split_at(ranked);
                assert!(best.windows(2).all(|p| p[0].rank >= p[1].rank), "{how}");
                // Unless every document of the caller's was tested (and fewer were shared
                // than the shares' arm ranks): all ranked.
                let all_tested =
                    strategy == Some(Strategy::Whole) && walk_limit.is_none() && only_owned;
                assert_eq!(tail.is_empty(), all_tested, "{how}");
                assert!(tail.iter().all(|h| !h.ranked), "{how}");
                assert!(
                    tail.windows(2).all(|p| p[0].created_at >= p[1].created_at),
                    "{how}: the tail newest first"
                );
            }
            assert_eq!(
                every_page(&w.reads, query("travel", true)).await.len(),
                120,
                "{how}: a topic the query names"
            );
            let the = every_page(&w.reads, query("the", true)).await;
            assert_eq!(the.len(), 80, "{how}: stopwords, in filenames");
            let unique: std::collections::HashSet<_> = the.iter().map(|h| h.document_id).collect();
            assert_eq!(unique.len(), 80, "{how}");
        }
    }

    // Narrowed by a filter, the tail keeps to it.
    for tail_walks in [Some(false), Some(true)] {
        let hits = every_page(
            &w.reads,
            SearchQuery {
                caller: Some(alice),
                q: "report".into(),
                limit: 40,
                from: Some(since),
                only_owned: true,
                tail_walks,
                ..SearchQuery::default()
            },
        )
        .await;
        let mut found: Vec<uuid::Uuid> = hits.iter().map(|h| h.document_id).collect();
        found.sort();
        assert_eq!(found, ids(&reports[40..]), "{tail_walks:?}");
    }
}
