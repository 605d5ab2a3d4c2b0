//! One upcast for every consumer: `DocumentUploadRequested` was written as version 1 before cloud
//! storage existed (no `storage`) and is written as version 2 now (with it). Both versions, side
//! by side in one log, are read by the document aggregate, the documents, search and audit
//! projections, the processing reactor, the audit summaries and the as-of replay — each through
//! `domain`'s decoding, none of them by the type string.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use docuvault_tests::TestDb;
use domain::document::{Document, DocumentEvent};
use domain::event::{EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ids::{DocumentId, StorageBackendId, UserId};
use domain::personal::Personal;
use domain::ports::EventStore;
use domain::storage::Storage;
use domain::Aggregate;
use serde_json::json;
use uuid::Uuid;

use crate::projections_support::{caught_up, eventually, fast_options, spawn_runtime, store};

#[tokio::test]
async fn every_consumer_reads_both_versions_of_an_upload_request() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    let owner = UserId::new();
    let (old, new) = (DocumentId::new(), DocumentId::new());
    let backend = StorageBackendId::new();
    let now = Utc::now();
    let expires = now + chrono::Duration::minutes(15);
    // Version 1, as the log holds it from before cloud storage: no `storage` field.
    let v1 = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "DocumentUploadRequested".into(),
        schema_version: 1,
        data: json!({
            "document_id": old,
            "owner_id": owner,
            "filename": {"$pii": "old.pdf"},
            "declared_content_type": "application/pdf",
            "size_bytes": 10,
            "expires_at": expires,
        }),
        metadata: EventMetadata::default(),
        data_key: Some(owner.as_uuid()),
        recorded_at: now,
    };
    // Version 2, as the domain writes it today.
    let v2 = NewEvent::from_domain(
        &DocumentEvent::DocumentUploadRequested {
            document_id: new,
            owner_id: owner,
            filename: Personal::new("new.pdf".into()),
            declared_content_type: "application/pdf".into(),
            size_bytes: 20,
            sha256: None,
            folder_id: None,
            expires_at: expires,
            storage: Storage::Backend(backend),
        },
        EventMetadata::default(),
        Some(owner.as_uuid()),
        now,
    );
    assert_eq!(v2.schema_version, 2);
    assert_eq!(v2.data["storage"], json!(backend));
    for (doc, event) in [(old, v1), (new, v2)] {
        store
            .append(
                &StreamId::new(Document::CATEGORY, doc),
                ExpectedVersion::NoStream,
                vec![event],
            )
            .await
            .expect("append");
    }

    // The aggregate (what every command folds).
    let stored = |doc: DocumentId| {
        let store = store.clone();
        async move {
            let events = store
                .read_stream(&StreamId::new(Document::CATEGORY, doc), 1)
                .await
                .unwrap();
            let state = events.iter().fold(Document::default(), |s, e| {
                s.evolve(&e.decode::<DocumentEvent>().expect("decodes"))
            });
            (events, state)
        }
    };
    let (old_events, old_state) = stored(old).await;
    let (new_events, new_state) = stored(new).await;
    assert_eq!(old_events[0].schema_version, 1);
    assert_eq!(old_state.data().unwrap().storage, Storage::Local);
    assert_eq!(new_state.data().unwrap().storage, Storage::Backend(backend));

    // The projections that fold it.
    let blobs_dir = std::env::temp_dir().join(format!("dv-upcast-{}", Uuid::now_v7()));
    let blobs: Arc<dyn domain::blob::BlobStore> =
        docuvault_tests::fsblobs::serve_fs_store(&blobs_dir).await;
    let running = spawn_runtime(
        &db.pool,
        store.clone(),
        vec![
            Arc::new(projections::documents::DocumentsProjection),
            Arc::new(projections::search::SearchProjection::new(Arc::new(
                infra::processing::BlobTextLoader(blobs),
            ))),
            Arc::new(projections::audit::Audit),
            Arc::new(projections::processing::ProcessingReactor),
        ],
        fast_options("upcast"),
    );
    for name in ["documents", "search", "audit", "processing_jobs"] {
        let (pool, store) = (db.pool.clone(), store.clone());
        eventually(Duration::from_secs(20), name, move || {
            let (pool, store) = (pool.clone(), store.clone());
            async move { caught_up(&pool, store.as_ref(), name).await }
        })
        .await;
    }
    running.stop().await;
    let placed: HashMap<Uuid, Option<Uuid>> =
        sqlx::query_as::<_, (Uuid, Option<Uuid>)>("select id, storage_backend_id from documents")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(placed[&old.as_uuid()], None, "v1 reads as local");
    assert_eq!(placed[&new.as_uuid()], Some(backend.as_uuid()));
    for table in [
        "search_documents",
        "processing_owners",
        "audit_document_owners",
    ] {
        let owners: Vec<Uuid> = sqlx::query_scalar(&format!(
            "select owner_id from {table} where document_id = any($1) order by document_id"
        ))
        .bind(vec![old.as_uuid(), new.as_uuid()])
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(owners, vec![owner.as_uuid(); 2], "{table}");
    }

    // The audit explorer's sentences and the as-of replay.
    let names = HashMap::new();
    assert_eq!(
        api::audit::summary::summarize(&old_events[0], &names),
        "Upload of “old.pdf” (10 bytes) requested"
    );
    assert_eq!(
        api::audit::summary::summarize(&new_events[0], &names),
        "Upload of “new.pdf” (20 bytes) requested"
    );
    let reads = infra::readmodels::audit::PgAuditReads::new(db.pool.clone());
    for (doc, name) in [(old, "old.pdf"), (new, "new.pdf")] {
        let view =
            api::audit::replay::document_as_of(store.as_ref(), &reads, doc.as_uuid(), Utc::now())
                .await
                .unwrap();
        assert!(view.existed);
        assert_eq!(view.filename.as_deref(), Some(name));
    }
}
