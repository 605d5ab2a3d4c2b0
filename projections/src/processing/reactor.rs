//! The processing reactor: a projection over the log whose "read model" is the job queue. It
//! enqueues run 1 when a document's upload is confirmed and run n on a reclassification request,
//! in the transaction that advances its checkpoint, so no job is lost or enqueued twice. The
//! SQL that writes its tables (`processing_owners`, and the job rows of `processing_jobs`) is
//! here; the workers' claims and leases on those rows are `infra::processing::JobQueue`'s.

use async_trait::async_trait;
use domain::document::{Document, DocumentEvent};
use domain::ids::{DocumentId, UserId};
use domain::processing::{DocumentProcessing, ProcessingEvent};
use domain::{Aggregate, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{Projection, ProjectionError};

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
            match event.stream_id.category() {
                Document::CATEGORY => {
                    let decoded: DocumentEvent = event
                        .decode()
                        .map_err(|e| ProjectionError::decode(event, e))?;
                    match decoded {
                        DocumentEvent::DocumentUploadRequested { owner_id, .. } => {
                            sqlx::query!(
                                "insert into processing_owners (document_id, owner_id) \
                                 values ($1, $2) \
                                 on conflict on constraint processing_owners_pkey do nothing",
                                id,
                                owner_id.0
                            )
                            .execute(&mut *conn)
                            .await?;
                        }
                        DocumentEvent::DocumentUploaded { .. } => {
                            enqueue_for_owner(conn, event, id, 1).await?
                        }
                        // Nothing else about a document starts a processing run.
                        _ => {}
                    }
                }
                DocumentProcessing::CATEGORY => {
                    let decoded: ProcessingEvent = event
                        .decode()
                        .map_err(|e| ProjectionError::decode(event, e))?;
                    // The other processing events are a run's own outcomes, appended by the
                    // worker: nothing to enqueue.
                    if let ProcessingEvent::ReclassificationRequested { run } = decoded {
                        enqueue_for_owner(conn, event, id, run).await?
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Enqueues `run` of `document` for the owner its upload request recorded.
async fn enqueue_for_owner(
    conn: &mut PgConnection,
    event: &RecordedEvent,
    document: Uuid,
    run: u32,
) -> Result<(), ProjectionError> {
    let owner: Option<Uuid> = sqlx::query_scalar!(
        "select owner_id from processing_owners where document_id = $1",
        document
    )
    .fetch_optional(&mut *conn)
    .await?;
    let owner = owner.ok_or_else(|| {
        ProjectionError::handler(event, "a document without a recorded upload request")
    })?;
    enqueue(conn, DocumentId::from(document), run, UserId::from(owner)).await?;
    Ok(())
}

/// Adds a job inside the caller's transaction (the reactor's, beside its checkpoint).
/// Enqueuing the same (document, run) again is a no-op.
pub async fn enqueue(
    conn: &mut PgConnection,
    document_id: DocumentId,
    run: u32,
    owner_id: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into processing_jobs (document_id, run, owner_id) values ($1, $2, $3) \
         on conflict on constraint processing_jobs_pkey do nothing",
        document_id.as_uuid(),
        run as i32,
        owner_id.as_uuid()
    )
    .execute(conn)
    .await?;
    Ok(())
}
