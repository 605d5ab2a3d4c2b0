//! The `search` projection. Document events are decoded tolerantly by name (only the fields it
//! needs), processing events through their domain type; the extracted text is read back from the
//! derived object its `TextExtracted` event names, so a rebuild needs no other source.

use std::sync::Arc;

use async_trait::async_trait;
use domain::processing::{DocumentProcessing, ProcessingEvent};
use domain::{Aggregate, RecordedEvent};
use projections::{Projection, ProjectionError};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// Reads a derived text object.
///
/// Contract: `Ok(None)` when the object no longer exists (its document was purged); errors are
/// infrastructure failures (the projection retries the batch).
#[async_trait]
pub trait TextLoader: Send + Sync {
    async fn load(&self, key: &str) -> Result<Option<String>, String>;
}

pub struct SearchProjection {
    texts: Arc<dyn TextLoader>,
}

impl SearchProjection {
    pub fn new(texts: Arc<dyn TextLoader>) -> Self {
        Self { texts }
    }
}

#[derive(Deserialize)]
struct UploadRequested {
    owner_id: Uuid,
    filename: Value,
    #[serde(default)]
    folder_id: Option<Uuid>,
    #[serde(default)]
    declared_content_type: Option<String>,
}

#[derive(Deserialize)]
struct Uploaded {
    #[serde(default)]
    content_type: Option<String>,
}

#[derive(Deserialize)]
struct Renamed {
    filename: Value,
}

#[derive(Deserialize)]
struct Moved {
    #[serde(default)]
    folder_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct ShareChange {
    recipient_id: Uuid,
}

/// A `Personal<String>` as the store hands it back: `{"$pii": "…"}`, or erased.
fn personal(v: &Value) -> Option<String> {
    v.get(domain::personal::PII_MARKER)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn data<T: DeserializeOwned>(event: &RecordedEvent) -> Result<T, ProjectionError> {
    serde_json::from_value(event.data.clone()).map_err(|e| ProjectionError::decode(event, e))
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
        for event in events {
            let Some(doc) = event.stream_id.id() else {
                continue;
            };
            match event.stream_id.category() {
                "document" => self.document_event(conn, event, doc).await?,
                c if c == DocumentProcessing::CATEGORY => {
                    self.processing_event(conn, event, doc).await?
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl SearchProjection {
    async fn document_event(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
        doc: Uuid,
    ) -> Result<(), ProjectionError> {
        let q = match event.event_type.as_str() {
            "DocumentUploadRequested" => {
                let r: UploadRequested = data(event)?;
                sqlx::query(
                    "insert into search_documents (document_id, owner_id, filename, folder_id, \
                         content_type, created_at) values ($1, $2, $3, $4, $5, $6) \
                     on conflict on constraint search_documents_pkey do nothing",
                )
                .bind(doc)
                .bind(r.owner_id)
                .bind(personal(&r.filename))
                .bind(r.folder_id)
                .bind(r.declared_content_type)
                .bind(event.recorded_at)
            }
            "DocumentUploaded" => {
                let u: Uploaded = data(event)?;
                sqlx::query(
                    "update search_documents set uploaded = true, \
                         content_type = coalesce($2, content_type) where document_id = $1",
                )
                .bind(doc)
                .bind(u.content_type)
            }
            "DocumentRenamed" => {
                let r: Renamed = data(event)?;
                sqlx::query("update search_documents set filename = $2 where document_id = $1")
                    .bind(doc)
                    .bind(personal(&r.filename))
            }
            "DocumentMoved" | "DocumentRestored" => {
                let m: Moved = data(event)?;
                sqlx::query(
                    "update search_documents set folder_id = $2, trashed = false \
                     where document_id = $1",
                )
                .bind(doc)
                .bind(m.folder_id)
            }
            "DocumentTrashed" => {
                sqlx::query("update search_documents set trashed = true where document_id = $1")
                    .bind(doc)
            }
            "DocumentPurged" | "DocumentUploadRejected" | "DocumentUploadExpired" => {
                sqlx::query("delete from search_shares where document_id = $1")
                    .bind(doc)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("delete from search_documents where document_id = $1").bind(doc)
            }
            "DocumentShared" => {
                let s: ShareChange = data(event)?;
                sqlx::query(
                    "insert into search_shares (document_id, recipient_id) values ($1, $2) \
                     on conflict on constraint search_shares_pkey do nothing",
                )
                .bind(doc)
                .bind(s.recipient_id)
            }
            "ShareRevoked" => {
                let s: ShareChange = data(event)?;
                sqlx::query(
                    "delete from search_shares where document_id = $1 and recipient_id = $2",
                )
                .bind(doc)
                .bind(s.recipient_id)
            }
            _ => return Ok(()),
        };
        q.execute(&mut *conn).await?;
        Ok(())
    }

    async fn processing_event(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
        doc: Uuid,
    ) -> Result<(), ProjectionError> {
        let decoded: ProcessingEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        match decoded {
            ProcessingEvent::TextExtracted { text_object, .. } => {
                let body = match text_object {
                    Some(key) => self
                        .texts
                        .load(&key)
                        .await
                        .map_err(|e| ProjectionError::handler(event, e))?,
                    None => None,
                };
                sqlx::query("update search_documents set body = $2 where document_id = $1")
                    .bind(doc)
                    .bind(body)
                    .execute(&mut *conn)
                    .await?;
            }
            ProcessingEvent::DocumentClassified { topic_ids, .. }
            | ProcessingEvent::TopicsAccepted { topic_ids }
            | ProcessingEvent::TopicsOverridden { topic_ids, .. } => {
                let ids: Vec<Uuid> = topic_ids.iter().map(|t| t.as_uuid()).collect();
                sqlx::query("update search_documents set topic_ids = $2 where document_id = $1")
                    .bind(doc)
                    .bind(ids)
                    .execute(&mut *conn)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
