//! The production documents side of the worker and the search projection: facts from the
//! document's own stream (authoritative even while the read models lag), bytes and derived text
//! objects from the blob store, topics from the `topics` read model.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use commands::CommandContext;
use domain::blob::{BlobError, BlobStore, ObjectKey};
use domain::classifier::TopicCandidate;
use domain::document::Document;
use domain::ids::{DocumentId, UserId};
use futures::StreamExt;
use projections::search::{TextLoadError, TextLoader};
use sqlx::PgPool;
use uuid::Uuid;

use super::worker::{DocumentFacts, DocumentSource};

/// The name of the extracted-text object beside a document's bytes.
pub const TEXT_OBJECT: &str = "text.txt";

/// Reads documents through the event store and the blob store.
#[derive(Clone)]
pub struct StoreDocumentSource {
    ctx: CommandContext,
    pool: PgPool,
    blobs: Arc<dyn BlobStore>,
}

impl StoreDocumentSource {
    pub fn new(ctx: CommandContext, pool: PgPool, blobs: Arc<dyn BlobStore>) -> Self {
        Self { ctx, pool, blobs }
    }
}

/// A whole object, refused past `limit` bytes (the caller's bound, not the store's).
async fn read_all(blobs: &dyn BlobStore, key: &ObjectKey, limit: u64) -> Result<Bytes, BlobError> {
    let mut stream = blobs.get(key).await?;
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(BlobError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// Extracted text is capped by the extractor (2 M characters, at most 8 MB of UTF-8); this
/// bound only stops a foreign object from being read whole.
const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;
/// No worker fetches more than this of a document (its own limit is lower by default).
const MAX_INPUT_BYTES: u64 = 1024 * 1024 * 1024;

async fn read_text(blobs: &dyn BlobStore, raw_key: &str) -> Result<Option<String>, TextLoadError> {
    let key = ObjectKey::parse(raw_key).map_err(TextLoadError::Blob)?;
    if !key.is_derived() {
        return Err(TextLoadError::NotDerived);
    }
    match read_all(blobs, &key, MAX_TEXT_BYTES).await {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(BlobError::NotFound) => Ok(None),
        Err(e) => Err(TextLoadError::Blob(e)),
    }
}

struct TopicRow {
    topic_id: Uuid,
    name: String,
    keywords: Vec<String>,
}

/// The topics `owner` may be classified into: their own, and the system topics they have not
/// shadowed with one of their own.
pub async fn candidate_topics(
    pool: &PgPool,
    owner: UserId,
) -> Result<Vec<TopicCandidate>, sqlx::Error> {
    let rows = sqlx::query_as!(
        TopicRow,
        "select t.topic_id, t.name as \"name!\", t.keywords from topics t \
         where t.name is not null and (t.owner_id = $1 or (t.owner_id is null and not exists ( \
             select 1 from topics u where u.owner_id = $1 and u.shadows = t.topic_id))) \
         order by lower(t.name), t.topic_id",
        owner.as_uuid()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TopicCandidate {
            id: r.topic_id.into(),
            name: r.name,
            keywords: r.keywords,
        })
        .collect())
}

#[async_trait]
impl DocumentSource for StoreDocumentSource {
    async fn facts(&self, document: DocumentId) -> Result<Option<DocumentFacts>, String> {
        let doc = commands::load::<Document>(&self.ctx, document.as_uuid())
            .await
            .map_err(|e| e.to_string())?
            .state;
        Ok(doc.data().filter(|d| !d.status.is_gone()).and_then(|d| {
            // Pending: never confirmed (a reclassification cannot start before confirmation).
            (d.status != domain::document::Status::Pending).then(|| DocumentFacts {
                owner: d.owner,
                filename: d.filename.value().cloned().unwrap_or_default(),
                content_type: Some(d.content_type.clone()),
                size_bytes: d.size_bytes,
            })
        }))
    }

    async fn bytes(&self, owner: UserId, document: DocumentId) -> Result<Bytes, String> {
        // The worker checked the recorded size against its own limit; this bound catches a
        // store holding far more than the document says.
        read_all(
            self.blobs.as_ref(),
            &ObjectKey::document(owner, document),
            MAX_INPUT_BYTES,
        )
        .await
        .map_err(|e| e.to_string())
    }

    async fn put_text(
        &self,
        owner: UserId,
        document: DocumentId,
        text: &str,
    ) -> Result<String, String> {
        let key = ObjectKey::derived(owner, document, TEXT_OBJECT).map_err(|e| e.to_string())?;
        let body = futures::stream::iter(vec![Ok(Bytes::copy_from_slice(text.as_bytes()))]);
        self.blobs
            .put(
                &key,
                "text/plain; charset=utf-8",
                Box::pin(body),
                MAX_TEXT_BYTES,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(key.to_string())
    }

    async fn text(&self, key: &str) -> Result<String, String> {
        read_text(self.blobs.as_ref(), key)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the text object is gone".to_owned())
    }

    async fn topics(&self, owner: UserId) -> Result<Vec<TopicCandidate>, String> {
        candidate_topics(&self.pool, owner)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Loads derived text objects for the search projection.
#[derive(Clone)]
pub struct BlobTextLoader(pub Arc<dyn BlobStore>);

#[async_trait]
impl TextLoader for BlobTextLoader {
    async fn load(&self, key: &str) -> Result<Option<String>, TextLoadError> {
        read_text(self.0.as_ref(), key).await
    }
}
