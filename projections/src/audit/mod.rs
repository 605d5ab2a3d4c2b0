//! `audit`: an index of every event by actor, subject user, document, type and time, for the
//! audit API. Who an event is about it reads from the envelope and a few id fields as plain JSON,
//! so events of any type (present or future, of any aggregate) are indexed, none refused; a
//! document's owner it takes from the upload request, decoded as the documents' event type.
//! What the audit explorer, exports and replay ask of the index is the [`query`] port beside it.

pub mod query;

use async_trait::async_trait;
use domain::document::{Document, DocumentEvent};
use domain::{Aggregate, RecordedEvent};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{Projection, ProjectionError};

#[derive(Debug, Default, Clone, Copy)]
pub struct Audit;

impl Audit {
    pub const NAME: &'static str = "audit";
}

/// Streams whose id is the user the events are about.
const USER_CATEGORIES: &[&str] = &["user", "folders", "quota"];
/// Streams whose id is a document.
const DOCUMENT_CATEGORIES: &[&str] = &["document", "document_reads"];
/// Payload fields that name a user the event is about.
const USER_FIELDS: &[&str] = &["owner_id", "recipient_id", "by", "user_id", "subject_user"];

fn uuid_field(data: &Value, field: &str) -> Option<Uuid> {
    data.get(field)?.as_str()?.parse().ok()
}

/// Who an event is about and which document it concerns, before the owner look-up.
pub fn subjects_of(e: &RecordedEvent) -> (Vec<Uuid>, Option<Uuid>) {
    let category = e.stream_id.category();
    let mut users = Vec::new();
    if USER_CATEGORIES.contains(&category) {
        users.extend(e.stream_id.id());
    }
    for f in USER_FIELDS {
        users.extend(uuid_field(&e.data, f));
    }
    let document = if DOCUMENT_CATEGORIES.contains(&category) {
        e.stream_id.id()
    } else {
        uuid_field(&e.data, "document_id")
    };
    (users, document)
}

/// The owner a document's upload request names, decoded through the documents' event type (an
/// event that does not decode is still indexed, without an owner: the index refuses nothing).
fn upload_owner(e: &RecordedEvent) -> Option<Uuid> {
    if e.stream_id.category() != Document::CATEGORY {
        return None;
    }
    match e.decode::<DocumentEvent>() {
        Ok(DocumentEvent::DocumentUploadRequested { owner_id, .. }) => Some(owner_id.0),
        _ => None,
    }
}

#[async_trait]
impl Projection for Audit {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["audit_events", "audit_document_owners"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for e in events {
            let (mut users, document) = subjects_of(e);
            if let Some(doc) = document {
                if let Some(owner) = upload_owner(e) {
                    sqlx::query!(
                        "insert into audit_document_owners (document_id, owner_id) \
                         values ($1, $2) on conflict (document_id) do nothing",
                        doc,
                        owner
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                let owner: Option<Uuid> = sqlx::query_scalar!(
                    "select owner_id from audit_document_owners where document_id = $1",
                    doc
                )
                .fetch_optional(&mut *conn)
                .await?;
                users.extend(owner);
            }
            users.sort();
            users.dedup();
            sqlx::query!(
                "insert into audit_events (position, recorded_at, event_type, stream_id, \
                     stream_version, actor_id, subject_users, document_id) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (position) do nothing",
                e.global_position as i64,
                e.recorded_at,
                &e.event_type,
                e.stream_id.as_str(),
                e.stream_version as i64,
                e.metadata.actor_id,
                &users,
                document
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
