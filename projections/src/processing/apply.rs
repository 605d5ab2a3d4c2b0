//! The `document_processing` projection: each document's processing status, extraction result,
//! latest suggestion and topics, folded from its `processing-<id>` stream.

use async_trait::async_trait;
use domain::ids::TopicId;
use domain::processing::{DocumentProcessing, ExtractionKind, ProcessingEvent};
use domain::{Aggregate, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{Projection, ProjectionError};

pub struct ProcessingProjection;

/// Topic ids as stored in the read models' `uuid[]` columns.
pub(crate) fn ids(topics: &[TopicId]) -> Vec<Uuid> {
    topics.iter().map(|t| t.as_uuid()).collect()
}

fn kind(k: ExtractionKind) -> &'static str {
    match k {
        ExtractionKind::Native => "native",
        ExtractionKind::Ocr => "ocr",
        ExtractionKind::OcrUnavailable => "ocr_unavailable",
        ExtractionKind::Unsupported => "unsupported",
        ExtractionKind::Empty => "empty",
    }
}

#[async_trait]
impl Projection for ProcessingProjection {
    fn name(&self) -> &str {
        "document_processing"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["document_processing"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            if event.stream_id.category() != DocumentProcessing::CATEGORY {
                continue;
            }
            let doc = event.stream_id.id().ok_or_else(|| {
                ProjectionError::handler(event, "processing stream without an id")
            })?;
            let decoded: ProcessingEvent = event
                .decode()
                .map_err(|e| ProjectionError::decode(event, e))?;
            // Every event may be the stream's first one seen (a document set by hand before its
            // first run finished): make sure the row exists. Values below are absolute, so a
            // replayed batch writes the same row again.
            sqlx::query!(
                "insert into document_processing (document_id, run, status, updated_at) \
                 values ($1, 1, 'pending', $2) \
                 on conflict on constraint document_processing_pkey do nothing",
                doc,
                event.recorded_at
            )
            .execute(&mut *conn)
            .await?;
            let q = match &decoded {
                ProcessingEvent::TextExtracted {
                    kind: k,
                    text_object,
                    chars,
                    truncated,
                    ..
                } => sqlx::query!(
                    "update document_processing set extraction = $2, text_object = $3, \
                         text_chars = $4, text_truncated = $5, updated_at = $6 \
                     where document_id = $1",
                    doc,
                    kind(*k),
                    text_object.clone(),
                    *chars as i64,
                    *truncated,
                    event.recorded_at
                ),
                ProcessingEvent::TopicsSuggested {
                    provider,
                    model,
                    fell_back,
                    suggestions,
                    ..
                } => sqlx::query!(
                    "update document_processing set provider = $2, model = $3, fell_back = $4, \
                         suggested = $5, updated_at = $6 where document_id = $1",
                    doc,
                    provider.clone(),
                    model.clone(),
                    *fell_back,
                    &suggestions
                        .iter()
                        .map(|s| s.topic_id.as_uuid())
                        .collect::<Vec<_>>(),
                    event.recorded_at
                ),
                ProcessingEvent::DocumentClassified { run, topic_ids } => sqlx::query!(
                    "update document_processing set run = $2, status = 'ready', topic_ids = $3, \
                         topics_source = coalesce(topics_source, 'auto'), updated_at = $4 \
                     where document_id = $1",
                    doc,
                    *run as i32,
                    &ids(topic_ids),
                    event.recorded_at
                ),
                ProcessingEvent::ProcessingFailed {
                    run,
                    attempt,
                    code,
                    permanent,
                } => sqlx::query!(
                    "update document_processing set run = $2, failed_attempts = $3, \
                         last_error = $4, \
                         status = case when $5 then 'error' else status end, updated_at = $6 \
                     where document_id = $1",
                    doc,
                    *run as i32,
                    *attempt as i32,
                    code.clone(),
                    *permanent,
                    event.recorded_at
                ),
                ProcessingEvent::TopicsAccepted { topic_ids } => sqlx::query!(
                    "update document_processing set topic_ids = $2, topics_source = 'accepted', \
                         updated_at = $3 where document_id = $1",
                    doc,
                    &ids(topic_ids),
                    event.recorded_at
                ),
                ProcessingEvent::TopicsOverridden { topic_ids, .. } => sqlx::query!(
                    "update document_processing set topic_ids = $2, \
                         topics_source = 'overridden', updated_at = $3 where document_id = $1",
                    doc,
                    &ids(topic_ids),
                    event.recorded_at
                ),
                ProcessingEvent::ReclassificationRequested { run } => sqlx::query!(
                    "update document_processing set run = $2, status = 'pending', \
                         failed_attempts = 0, last_error = null, topics_source = null, \
                         updated_at = $3 where document_id = $1",
                    doc,
                    *run as i32,
                    event.recorded_at
                ),
            };
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
