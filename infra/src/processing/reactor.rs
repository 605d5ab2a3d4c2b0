//! The processing reactor: a projection over the log whose "read model" is the job queue. It
//! enqueues run 1 when a document's upload is confirmed and run n on a reclassification request,
//! in the transaction that advances its checkpoint, so no job is lost or enqueued twice.

use async_trait::async_trait;
use domain::ids::{DocumentId, UserId};
use domain::processing::{DocumentProcessing, ProcessingEvent};
use domain::{Aggregate, RecordedEvent};
use projections::{Projection, ProjectionError};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::queue::JobQueue;

/// The only field this reactor needs from the documents aggregate's upload request; decoded
/// tolerantly so the documents event can grow without touching this reactor.
#[derive(Deserialize)]
struct UploadRequested {
    owner_id: Uuid,
}

pub struct ProcessingReactor;

#[async_trait]
impl Projection for ProcessingReactor {
    fn name(&self) -> &str {
        "processing_jobs"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["processing_owners", "processing_jobs"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let Some(id) = event.stream_id.id() else {
                continue;
            };
            match (event.stream_id.category(), event.event_type.as_str()) {
                ("document", "DocumentUploadRequested") => {
                    let r: UploadRequested = serde_json::from_value(event.data.clone())
                        .map_err(|e| ProjectionError::decode(event, e))?;
                    sqlx::query(
                        "insert into processing_owners (document_id, owner_id) values ($1, $2) \
                         on conflict on constraint processing_owners_pkey do nothing",
                    )
                    .bind(id)
                    .bind(r.owner_id)
                    .execute(&mut *conn)
                    .await?;
                }
                ("document", "DocumentUploaded") => enqueue(conn, event, id, 1).await?,
                (category, "ReclassificationRequested")
                    if category == DocumentProcessing::CATEGORY =>
                {
                    let decoded: ProcessingEvent = event
                        .decode()
                        .map_err(|e| ProjectionError::decode(event, e))?;
                    if let ProcessingEvent::ReclassificationRequested { run } = decoded {
                        enqueue(conn, event, id, run).await?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

async fn enqueue(
    conn: &mut PgConnection,
    event: &RecordedEvent,
    document: Uuid,
    run: u32,
) -> Result<(), ProjectionError> {
    let owner: Option<Uuid> =
        sqlx::query_scalar("select owner_id from processing_owners where document_id = $1")
            .bind(document)
            .fetch_optional(&mut *conn)
            .await?;
    let owner = owner.ok_or_else(|| {
        ProjectionError::handler(event, "a document without a recorded upload request")
    })?;
    JobQueue::enqueue(conn, DocumentId::from(document), run, UserId::from(owner)).await?;
    Ok(())
}
