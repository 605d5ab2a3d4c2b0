//! The `search` projection. Document and processing events are decoded through their domain
//! types (so through the one upcast of older shapes); the extracted text is read back from the
//! derived object its `TextExtracted` event names, so a rebuild needs no other source.
//!
//! A batch is folded in memory for the documents it creates (a rebuild's batches are mostly
//! those): each such document is written once, by one multi-row insert, instead of once per
//! event; its texts are loaded concurrently. Events of documents created in earlier batches
//! update their row directly, in order.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

use async_trait::async_trait;
use domain::blob::BlobError;
use domain::document::DocumentEvent;
use domain::processing::{DocumentProcessing, ProcessingEvent};
use domain::{Aggregate, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{Projection, ProjectionError};

/// Reads a derived text object.
///
/// Contract: `Ok(None)` when the object no longer exists (its document was purged); errors are
/// infrastructure failures (the projection retries the batch).
#[async_trait]
pub trait TextLoader: Send + Sync {
    async fn load(&self, key: &str) -> Result<Option<String>, TextLoadError>;
}

/// Why a text object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TextLoadError {
    /// The key names a document's own bytes, not an object derived from them.
    #[error("not a derived object")]
    NotDerived,
    /// The key is invalid, or the blob store failed to read the object.
    #[error("blob store: {0}")]
    Blob(#[source] BlobError),
}

pub struct SearchProjection {
    texts: Arc<dyn TextLoader>,
}

impl SearchProjection {
    pub fn new(texts: Arc<dyn TextLoader>) -> Self {
        Self { texts }
    }
}

/// Text objects loaded at once per batch.
const TEXT_LOADS_IN_FLIGHT: usize = 16;

/// A document created in the current batch, as its row will be written.
#[derive(Debug, Clone)]
struct Fresh {
    owner_id: Uuid,
    filename: Option<String>,
    folder_id: Option<Uuid>,
    content_type: Option<String>,
    created_at: DateTime<Utc>,
    uploaded: bool,
    trashed: bool,
    body: Option<String>,
    topic_ids: Vec<Uuid>,
}

/// The rows of the documents a batch creates, in creation order.
#[derive(Default)]
struct FreshRows {
    order: Vec<Uuid>,
    rows: HashMap<Uuid, Fresh>,
}

#[async_trait]
impl Projection for SearchProjection {
    fn name(&self) -> &str {
        "search"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["search_documents", "search_shares"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let texts = self.load_texts(events).await?;
        let mut fresh = FreshRows::default();
        for event in events {
            let Some(doc) = event.stream_id.id() else {
                continue;
            };
            match event.stream_id.category() {
                "document" => self.document_event(conn, &mut fresh, event, doc).await?,
                c if c == DocumentProcessing::CATEGORY => {
                    self.processing_event(conn, &mut fresh, &texts, event, doc)
                        .await?
                }
                _ => {}
            }
        }
        insert_fresh(conn, fresh).await?;
        Ok(())
    }
}

/// Writes the batch's new documents with one statement. A replayed creation overwrites the row
/// with the same values (the fold started from the document's first event).
async fn insert_fresh(conn: &mut PgConnection, fresh: FreshRows) -> Result<(), sqlx::Error> {
    if fresh.order.is_empty() {
        return Ok(());
    }
    let n = fresh.order.len();
    let (mut ids, mut owners, mut names, mut folders, mut types) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut created, mut uploaded, mut trashed, mut bodies, mut topics) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut rows = fresh.rows;
    for id in fresh.order {
        let Some(r) = rows.remove(&id) else {
            continue; // purged within the batch
        };
        ids.push(id);
        owners.push(r.owner_id);
        names.push(r.filename);
        folders.push(r.folder_id);
        types.push(r.content_type);
        created.push(r.created_at);
        uploaded.push(r.uploaded);
        trashed.push(r.trashed);
        bodies.push(r.body);
        // unnest cannot take an array of arrays of different lengths: array literals instead.
        let list: Vec<String> = r.topic_ids.iter().map(Uuid::to_string).collect();
        topics.push(format!("{{{}}}", list.join(",")));
    }
    sqlx::query(
        "insert into search_documents (document_id, owner_id, filename, folder_id, \
             content_type, created_at, uploaded, trashed, body, topic_ids) \
         select d, o, f, fo, c, t, u, tr, b, tp::uuid[] \
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], \
                     $6::timestamptz[], $7::bool[], $8::bool[], $9::text[], $10::text[]) \
             as x(d, o, f, fo, c, t, u, tr, b, tp) \
         on conflict on constraint search_documents_pkey do update set \
             owner_id = excluded.owner_id, filename = excluded.filename, \
             folder_id = excluded.folder_id, content_type = excluded.content_type, \
             created_at = excluded.created_at, uploaded = excluded.uploaded, \
             trashed = excluded.trashed, body = excluded.body, topic_ids = excluded.topic_ids",
    )
    .bind(ids)
    .bind(owners)
    .bind(names)
    .bind(folders)
    .bind(types)
    .bind(created)
    .bind(uploaded)
    .bind(trashed)
    .bind(bodies)
    .bind(topics)
    .execute(conn)
    .await?;
    Ok(())
}

impl SearchProjection {
    /// Every text object the batch's `TextExtracted` events name, loaded concurrently.
    async fn load_texts(
        &self,
        events: &[RecordedEvent],
    ) -> Result<HashMap<String, Option<String>>, ProjectionError> {
        // Owned (index, key) pairs: the loads run concurrently and must not borrow the batch.
        let mut wanted: Vec<(usize, String)> = Vec::new();
        for (i, event) in events.iter().enumerate() {
            if event.stream_id.category() != DocumentProcessing::CATEGORY {
                continue;
            }
            let decoded: ProcessingEvent = event
                .decode()
                .map_err(|e| ProjectionError::decode(event, e))?;
            if let ProcessingEvent::TextExtracted {
                text_object: Some(key),
                ..
            } = decoded
            {
                wanted.push((i, key));
            }
        }
        let loads = wanted.into_iter().map(|(i, key)| {
            let texts = self.texts.clone();
            async move {
                match texts.load(&key).await {
                    Ok(text) => Ok((key, text)),
                    Err(e) => Err((i, e)),
                }
            }
        });
        futures::stream::iter(loads)
            .buffer_unordered(TEXT_LOADS_IN_FLIGHT)
            .try_collect()
            .await
            .map_err(|(i, e)| ProjectionError::handler(&events[i], e))
    }

    async fn document_event(
        &self,
        conn: &mut PgConnection,
        fresh: &mut FreshRows,
        event: &RecordedEvent,
        doc: Uuid,
    ) -> Result<(), ProjectionError> {
        let decoded: DocumentEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        if let DocumentEvent::DocumentUploadRequested {
            owner_id,
            filename,
            folder_id,
            declared_content_type,
            ..
        } = decoded
        {
            if !fresh.rows.contains_key(&doc) {
                fresh.order.push(doc);
            }
            fresh.rows.insert(
                doc,
                Fresh {
                    owner_id: owner_id.0,
                    filename: filename.value().cloned(),
                    folder_id: folder_id.map(|f| f.as_uuid()),
                    content_type: Some(declared_content_type),
                    created_at: event.recorded_at,
                    uploaded: false,
                    trashed: false,
                    body: None,
                    topic_ids: vec![],
                },
            );
            return Ok(());
        }
        if let Some(row) = fresh.rows.get_mut(&doc) {
            match &decoded {
                DocumentEvent::DocumentUploaded { content_type, .. } => {
                    row.uploaded = true;
                    row.content_type = Some(content_type.clone());
                    return Ok(());
                }
                DocumentEvent::DocumentRenamed { filename } => {
                    row.filename = filename.value().cloned();
                    return Ok(());
                }
                DocumentEvent::DocumentMoved { folder_id }
                | DocumentEvent::DocumentRestored { folder_id } => {
                    row.folder_id = folder_id.map(|f| f.as_uuid());
                    row.trashed = false;
                    return Ok(());
                }
                DocumentEvent::DocumentTrashed { .. } => {
                    row.trashed = true;
                    return Ok(());
                }
                DocumentEvent::DocumentPurged { .. }
                | DocumentEvent::DocumentUploadRejected { .. }
                | DocumentEvent::DocumentUploadExpired {} => {
                    fresh.rows.remove(&doc);
                    // Shares go to the table directly; fall through to delete them.
                }
                // Shares are rows of their own; an earlier request was handled above.
                DocumentEvent::DocumentShared { .. }
                | DocumentEvent::ShareRevoked { .. }
                | DocumentEvent::DocumentUploadRequested { .. } => {}
            }
        }
        match decoded {
            DocumentEvent::DocumentUploaded { content_type, .. } => {
                sqlx::query!(
                    "update search_documents set uploaded = true, \
                         content_type = coalesce($2, content_type) where document_id = $1",
                    doc,
                    Some(content_type)
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::DocumentRenamed { filename } => {
                sqlx::query!(
                    "update search_documents set filename = $2 where document_id = $1",
                    doc,
                    filename.value().cloned()
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::DocumentMoved { folder_id }
            | DocumentEvent::DocumentRestored { folder_id } => {
                sqlx::query!(
                    "update search_documents set folder_id = $2, trashed = false \
                     where document_id = $1",
                    doc,
                    folder_id.map(|f| f.as_uuid())
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::DocumentTrashed { .. } => {
                sqlx::query!(
                    "update search_documents set trashed = true where document_id = $1",
                    doc
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::DocumentPurged { .. }
            | DocumentEvent::DocumentUploadRejected { .. }
            | DocumentEvent::DocumentUploadExpired {} => {
                sqlx::query!("delete from search_shares where document_id = $1", doc)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query!("delete from search_documents where document_id = $1", doc)
                    .execute(&mut *conn)
                    .await?;
            }
            DocumentEvent::DocumentShared { recipient_id, .. } => {
                sqlx::query!(
                    "insert into search_shares (document_id, recipient_id) values ($1, $2) \
                     on conflict on constraint search_shares_pkey do nothing",
                    doc,
                    recipient_id.0
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::ShareRevoked { recipient_id, .. } => {
                sqlx::query!(
                    "delete from search_shares where document_id = $1 and recipient_id = $2",
                    doc,
                    recipient_id.0
                )
                .execute(&mut *conn)
                .await?;
            }
            DocumentEvent::DocumentUploadRequested { .. } => {}
        }
        Ok(())
    }

    async fn processing_event(
        &self,
        conn: &mut PgConnection,
        fresh: &mut FreshRows,
        texts: &HashMap<String, Option<String>>,
        event: &RecordedEvent,
        doc: Uuid,
    ) -> Result<(), ProjectionError> {
        let decoded: ProcessingEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        match decoded {
            ProcessingEvent::TextExtracted { text_object, .. } => {
                let body = text_object.and_then(|k| texts.get(&k).cloned().flatten());
                if let Some(row) = fresh.rows.get_mut(&doc) {
                    row.body = body;
                    return Ok(());
                }
                sqlx::query!(
                    "update search_documents set body = $2 where document_id = $1",
                    doc,
                    body
                )
                .execute(&mut *conn)
                .await?;
            }
            ProcessingEvent::DocumentClassified { topic_ids, .. }
            | ProcessingEvent::TopicsAccepted { topic_ids }
            | ProcessingEvent::TopicsOverridden { topic_ids, .. } => {
                let ids: Vec<Uuid> = topic_ids.iter().map(|t| t.as_uuid()).collect();
                if let Some(row) = fresh.rows.get_mut(&doc) {
                    row.topic_ids = ids;
                    return Ok(());
                }
                sqlx::query!(
                    "update search_documents set topic_ids = $2 where document_id = $1",
                    doc,
                    &ids
                )
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
