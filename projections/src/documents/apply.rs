//! The `documents` projection: documents, their shares, folders and quotas, shaped for the query
//! API (folder listings are index range scans, permission checks are joins on `document_shares`).
//! A document's row also carries what a listing shows of its processing (status, topics) and
//! its duplicate-of pointer, so a folder page reads this one table.

use domain::document::DocumentEvent;
use domain::folder::FolderEvent;
use domain::processing::ProcessingEvent;
use domain::quota::QuotaEvent;
use domain::user::UserEvent;
use domain::{Personal, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

/// The projection's name (also its rebuild schema, `rebuild_documents`).
pub const NAME: &str = "documents";
/// Bump when the handler's output changes.
pub const VERSION: u32 = 3;
/// The read tables it owns (all in the `documents_read_models` migration).
pub const TABLES: &[&str] = &[
    "documents",
    "document_shares",
    "folders",
    "quotas",
    "quota_charges",
];

/// What a filename or folder name reads as once its owner's key was destroyed.
pub const ERASED_NAME: &str = "[erased]";

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// An event of a category this projection owns that it cannot decode: halts the projection.
    #[error("cannot decode event at position {position} in {stream}: {reason}")]
    Decode {
        position: u64,
        stream: String,
        reason: String,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn decode_error(e: &RecordedEvent, reason: impl std::fmt::Display) -> ApplyError {
    ApplyError::Decode {
        position: e.global_position,
        stream: e.stream_id.to_string(),
        reason: reason.to_string(),
    }
}

/// Folds a batch into the read tables through `conn` (inside the caller's transaction). Every
/// statement is idempotent, so a redelivered batch changes nothing.
pub async fn apply(conn: &mut PgConnection, events: &[RecordedEvent]) -> Result<(), ApplyError> {
    for e in events {
        match e.stream_id.category() {
            "document" => {
                let ev: DocumentEvent = e.decode().map_err(|err| decode_error(e, err))?;
                document(conn, e, ev).await?;
            }
            "folders" => {
                let ev: FolderEvent = e.decode().map_err(|err| decode_error(e, err))?;
                folder(conn, e, ev).await?;
            }
            "quota" => {
                let ev: QuotaEvent = e.decode().map_err(|err| decode_error(e, err))?;
                quota(conn, e, ev).await?;
            }
            "processing" => {
                let ev: ProcessingEvent = e.decode().map_err(|err| decode_error(e, err))?;
                processing(conn, stream_uuid(e)?, ev).await?;
            }
            "user" => {
                let ev: UserEvent = e.decode().map_err(|err| decode_error(e, err))?;
                // Of the user streams only erasure concerns documents: the account's
                // documents, folders and shares (both ways) leave the read models with its
                // blobs.
                if let UserEvent::UserErased { .. } = ev {
                    erase_user(conn, stream_uuid(e)?).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

async fn erase_user(conn: &mut PgConnection, user: Uuid) -> Result<(), ApplyError> {
    for sql in [
        "delete from document_shares where owner_id = $1 or recipient_id = $1",
        "delete from documents where owner_id = $1",
        "delete from folders where owner_id = $1",
    ] {
        sqlx::query(sql).bind(user).execute(&mut *conn).await?;
    }
    Ok(())
}

fn name(p: &Personal<String>) -> String {
    p.value().cloned().unwrap_or_else(|| ERASED_NAME.to_owned())
}

fn stream_uuid(e: &RecordedEvent) -> Result<Uuid, ApplyError> {
    e.stream_id
        .id()
        .ok_or_else(|| decode_error(e, "stream id is not a UUID"))
}

/// The top level's folder key (see the migration).
fn folder_key(folder: Option<domain::ids::FolderId>) -> Uuid {
    folder.map(|f| f.as_uuid()).unwrap_or(Uuid::nil())
}

async fn document(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    ev: DocumentEvent,
) -> Result<(), ApplyError> {
    let id = stream_uuid(e)?;
    let at = e.recorded_at;
    match ev {
        DocumentEvent::DocumentUploadRequested {
            owner_id,
            filename,
            declared_content_type,
            size_bytes,
            sha256,
            folder_id,
            expires_at,
            storage,
            ..
        } => {
            let filename = name(&filename);
            sqlx::query!(
                "insert into documents (id, owner_id, folder_key, filename, filename_key, \
                 content_type, size_bytes, sha256, state, created_at, updated_at, \
                 upload_expires_at, storage_backend_id) \
                 values ($1, $2, $3, $4, lower($4), $5, $6, $7, 'pending', $8, $8, $9, $10) \
                 on conflict (id) do nothing",
                id,
                owner_id.as_uuid(),
                folder_key(folder_id),
                filename,
                declared_content_type,
                size_bytes as i64,
                sha256,
                at,
                expires_at,
                storage.backend().map(|b| b.as_uuid())
            )
            .execute(&mut *conn)
            .await?;
            point_at_original(conn, id).await?;
        }
        DocumentEvent::DocumentUploaded {
            content_type,
            size_bytes,
            sha256,
        } => {
            let key = sqlx::query!(
                "update documents set state = 'active', content_type = $2, size_bytes = $3, \
                 sha256 = $4, upload_expires_at = null, updated_at = $5 where id = $1 \
                 returning owner_id, sha256",
                id,
                content_type,
                size_bytes as i64,
                sha256,
                at
            )
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((owner, Some(sha256))) = key.map(|k| (k.owner_id, k.sha256)) {
                recompute_duplicates_of(conn, owner, &sha256).await?;
            }
        }
        DocumentEvent::DocumentUploadRejected { .. }
        | DocumentEvent::DocumentUploadExpired {}
        | DocumentEvent::DocumentPurged { .. } => {
            sqlx::query!("delete from document_shares where document_id = $1", id)
                .execute(&mut *conn)
                .await?;
            let gone = sqlx::query!(
                "delete from documents where id = $1 returning owner_id, sha256",
                id
            )
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((owner, Some(sha256))) = gone.map(|g| (g.owner_id, g.sha256)) {
                recompute_duplicates_of(conn, owner, &sha256).await?;
            }
        }
        DocumentEvent::DocumentRenamed { filename } => {
            sqlx::query!(
                "update documents set filename = $2, filename_key = lower($2), updated_at = $3 \
                 where id = $1",
                id,
                name(&filename),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        DocumentEvent::DocumentMoved { folder_id } => {
            sqlx::query!(
                "update documents set folder_key = $2, updated_at = $3 where id = $1",
                id,
                folder_key(folder_id),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        DocumentEvent::DocumentTrashed { trashed_at } => {
            sqlx::query!(
                "update documents set state = 'trashed', trashed_at = $2, updated_at = $3 \
                 where id = $1",
                id,
                trashed_at,
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        DocumentEvent::DocumentRestored { folder_id } => {
            sqlx::query!(
                "update documents set state = 'active', trashed_at = null, folder_key = $2, \
                 updated_at = $3 where id = $1",
                id,
                folder_key(folder_id),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        DocumentEvent::DocumentShared {
            share_id,
            recipient_id,
            permission,
        } => {
            sqlx::query!(
                "insert into document_shares (share_id, document_id, owner_id, recipient_id, \
                 permission, created_at) \
                 select $1, d.id, d.owner_id, $3, $4, $5 from documents d where d.id = $2 \
                 on conflict do nothing",
                share_id.as_uuid(),
                id,
                recipient_id.as_uuid(),
                permission.as_str(),
                at
            )
            .execute(&mut *conn)
            .await?;
            recount_shares(conn, id).await?;
        }
        DocumentEvent::ShareRevoked { share_id, .. } => {
            sqlx::query!(
                "delete from document_shares where share_id = $1",
                share_id.as_uuid()
            )
            .execute(&mut *conn)
            .await?;
            recount_shares(conn, id).await?;
        }
    }
    Ok(())
}

/// `duplicate_of` := the owner's earliest other non-pending document with the same bytes before
/// this one (one probe of the partial `documents_owner_sha256_idx`).
const ORIGINAL: &str = "( \
     select o.id from documents o \
     where o.owner_id = d.owner_id and o.sha256 = d.sha256 and o.state <> 'pending' \
       and (o.created_at, o.id) < (d.created_at, d.id) \
     order by o.created_at, o.id limit 1)";

/// Points a pending upload with a known checksum at its original, if any.
async fn point_at_original(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "update documents d set duplicate_of = {ORIGINAL} where d.id = $1 and d.sha256 is not null"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Re-points every document of the owner with these bytes, after one of them became active or
/// left: usually a row or two. The non-pending ones are found through the partial sha256 index,
/// the pending ones (few) through the owner/state index, never by scanning the collection.
async fn recompute_duplicates_of(
    conn: &mut PgConnection,
    owner: Uuid,
    sha256: &str,
) -> Result<(), sqlx::Error> {
    for rows in [
        "d.sha256 = $2 and d.sha256 is not null and d.state <> 'pending'",
        "d.state = 'pending' and d.sha256 = $2",
    ] {
        sqlx::query(&format!(
            "update documents d set duplicate_of = {ORIGINAL} where d.owner_id = $1 and {rows}"
        ))
        .bind(owner)
        .bind(sha256)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What a listing shows of a document's processing, mirroring the `document_processing`
/// projection's status (`pending` there reads as `processing`) and topics.
async fn processing(
    conn: &mut PgConnection,
    id: Uuid,
    ev: ProcessingEvent,
) -> Result<(), sqlx::Error> {
    // Any event of a processing stream means processing has started.
    let started = "case when processing_status = 'uploaded' then 'processing' \
                   else processing_status end";
    let (status, topic_ids): (String, Option<Vec<Uuid>>) = match &ev {
        ProcessingEvent::TextExtracted { .. } | ProcessingEvent::TopicsSuggested { .. } => {
            (started.into(), None)
        }
        ProcessingEvent::DocumentClassified { topic_ids, .. } => {
            ("'ready'".into(), Some(crate::processing::ids(topic_ids)))
        }
        ProcessingEvent::ProcessingFailed { permanent, .. } => (
            if *permanent {
                "'error'".into()
            } else {
                started.into()
            },
            None,
        ),
        ProcessingEvent::TopicsAccepted { topic_ids }
        | ProcessingEvent::TopicsOverridden { topic_ids, .. } => {
            (started.into(), Some(crate::processing::ids(topic_ids)))
        }
        ProcessingEvent::ReclassificationRequested { .. } => ("'processing'".into(), None),
    };
    sqlx::query(&format!(
        "update documents set processing_status = {status}, \
         topic_ids = coalesce($2, topic_ids) where id = $1"
    ))
    .bind(id)
    .bind(topic_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn recount_shares(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update documents set shared_with_count = \
         (select count(*) from document_shares s where s.document_id = $1) where id = $1",
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn folder(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    ev: FolderEvent,
) -> Result<(), ApplyError> {
    let owner = stream_uuid(e)?;
    let at = e.recorded_at;
    match ev {
        FolderEvent::FolderCreated {
            folder_id,
            name: n,
            parent_id,
            ..
        } => {
            sqlx::query!(
                "insert into folders (id, owner_id, parent_id, name, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $5) on conflict (id) do nothing",
                folder_id.as_uuid(),
                owner,
                parent_id.map(|p| p.as_uuid()),
                name(&n),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        FolderEvent::FolderRenamed { folder_id, name: n } => {
            sqlx::query!(
                "update folders set name = $2, updated_at = $3 where id = $1",
                folder_id.as_uuid(),
                name(&n),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        FolderEvent::FolderMoved {
            folder_id,
            parent_id,
        } => {
            sqlx::query!(
                "update folders set parent_id = $2, updated_at = $3 where id = $1",
                folder_id.as_uuid(),
                parent_id.map(|p| p.as_uuid()),
                at
            )
            .execute(&mut *conn)
            .await?;
        }
        FolderEvent::FolderDeleted { folder_id } => {
            sqlx::query!("delete from folders where id = $1", folder_id.as_uuid())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn quota(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    ev: QuotaEvent,
) -> Result<(), ApplyError> {
    let user = stream_uuid(e)?;
    let version = e.stream_version as i64;
    match &ev {
        QuotaEvent::QuotaReserved {
            document_id,
            size_bytes,
        } => {
            sqlx::query!(
                "insert into quota_charges (document_id, user_id, size_bytes, charged_at) \
                 values ($1, $2, $3, $4) on conflict (document_id) do nothing",
                document_id.as_uuid(),
                user,
                *size_bytes as i64,
                e.recorded_at
            )
            .execute(&mut *conn)
            .await?;
        }
        QuotaEvent::QuotaReleased { document_id, .. } => {
            sqlx::query!(
                "delete from quota_charges where document_id = $1",
                document_id.as_uuid()
            )
            .execute(&mut *conn)
            .await?;
        }
        QuotaEvent::QuotaLimitChanged { .. } => {}
    }
    let (delta, limit): (i64, Option<i64>) = match ev {
        QuotaEvent::QuotaReserved { size_bytes, .. } => (size_bytes as i64, None),
        QuotaEvent::QuotaReleased { size_bytes, .. } => (-(size_bytes as i64), None),
        QuotaEvent::QuotaLimitChanged { limit_bytes } => (0, Some(limit_bytes as i64)),
    };
    // Only an event newer than the row's version changes it: redelivery is harmless.
    sqlx::query!(
        "insert into quotas (user_id, limit_bytes, used_bytes, updated_at, stream_version) \
         values ($1, $2, greatest($3::int8, 0), $4, $5) \
         on conflict (user_id) do update set \
           limit_bytes = coalesce($2, quotas.limit_bytes), \
           used_bytes = greatest(quotas.used_bytes + $3, 0), \
           updated_at = $4, stream_version = $5 \
         where quotas.stream_version < $5",
        user,
        limit,
        delta,
        e.recorded_at,
        version
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The projection as the runtime runs it.
pub struct DocumentsProjection;

#[async_trait::async_trait]
impl crate::projection::Projection for DocumentsProjection {
    fn name(&self) -> &str {
        NAME
    }

    fn version(&self) -> u32 {
        VERSION
    }

    fn tables(&self) -> &[&str] {
        TABLES
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), crate::projection::ProjectionError> {
        use crate::projection::ProjectionError;
        apply(conn, events).await.map_err(|e| match e {
            ApplyError::Database(db) => ProjectionError::Database(db),
            ApplyError::Decode {
                position,
                stream,
                reason,
            } => {
                let event = events
                    .iter()
                    .find(|ev| ev.global_position == position)
                    .expect("the failing event is in the batch");
                debug_assert_eq!(event.stream_id.as_str(), stream);
                ProjectionError::decode(event, reason)
            }
        })
    }
}
