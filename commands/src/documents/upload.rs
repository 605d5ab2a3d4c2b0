//! Uploads: a presigned two-step flow (`request_upload` then `confirm`) and a streaming one-step
//! upload; both end in the same confirmation, which verifies the stored object, sniffs its type,
//! charges the quota, and only then records the document as uploaded.

use chrono::{DateTime, Utc};
use domain::blob::{ByteStream, ObjectKey, PresignedRequest, UploadSpec, Validity};
use domain::document::decide::{self, RequestUpload, StoredObject};
use domain::document::sniff::{sniff, SNIFF_LEN};
use domain::document::{Document, DocumentData, DocumentError, RejectReason};
use domain::folder::FolderTree;
use domain::ids::{DocumentId, FolderId, UserId};
use domain::name::{ByteSize, FileName};
use domain::quota::QuotaError;
use domain::storage::Storage;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::error::{infra, lift, DocError, DocResult};
use super::{chrono_duration, quota, DocumentServices, Done};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, execute_loaded, load};

/// What a client asks for before uploading.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub filename: String,
    pub size: u64,
    pub content_type: String,
    pub folder_id: Option<FolderId>,
    /// Hex SHA-256, optional.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub document_id: DocumentId,
    pub upload: PresignedRequest,
    pub expires_at: DateTime<Utc>,
}

/// Validates, checks the quota (advisory: the binding check is at confirmation), records the
/// request and presigns the upload.
pub async fn request_upload(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    req: UploadRequest,
) -> DocResult<Done<UploadTicket>> {
    let filename = FileName::parse(&req.filename).map_err(|e| CommandError::Domain(e.into()))?;
    let sha = parse_sha256(req.sha256.as_deref())?;
    if req.size > svc.settings.max_document_bytes {
        return Err(CommandError::Domain(DocError::TooLarge {
            limit_bytes: svc.settings.max_document_bytes,
        }));
    }
    let content_type = clean_content_type(&req.content_type);
    ensure_folder(ctx, caller, req.folder_id).await?;
    advisory_quota_check(ctx, svc, caller, req.size).await?;

    let now = ctx.clock.now();
    let validity = Validity::new(now, svc.settings.upload_url_lifetime);
    let deadline = validity.expires_at();
    let document_id = DocumentId::new();
    let cmd = RequestUpload {
        document_id,
        owner: caller,
        filename,
        declared_content_type: content_type.clone(),
        size: ByteSize(req.size),
        sha256: sha.map(hex::encode),
        folder_id: req.folder_id,
        expires_at: deadline,
        // The bytes go to the store `svc.blobs`: DocuVault's own.
        storage: Storage::Local,
    };
    let done =
        execute::<Document, _, _, _>(ctx, document_id.as_uuid(), Some(caller.as_uuid()), |s| {
            decide::request_upload(s, cmd.clone()).map(|e| (e, ()))
        })
        .await
        .map_err(lift)?;
    let key = ObjectKey::document(caller, document_id);
    let upload = svc
        .blobs
        .presign_put(
            &key,
            &UploadSpec {
                content_type,
                content_length: req.size,
                sha256: sha,
            },
            validity,
        )
        .await
        .map_err(infra)?;
    Ok(Done::new(
        UploadTicket {
            document_id,
            upload,
            expires_at: deadline,
        },
        done.position,
    ))
}

/// Verifies the uploaded object and makes the document active. Confirming an already confirmed
/// document answers it unchanged. On a mismatch the object is deleted and nothing is charged.
pub async fn confirm(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    document_id: DocumentId,
) -> DocResult<Done<DocumentData>> {
    let now = ctx.clock.now();
    let loaded = load::<Document>(ctx, document_id.as_uuid()).await?;
    let pending = match decide::confirmable(&loaded.state, caller, now) {
        Ok(Some(d)) => d.clone(),
        Ok(None) => {
            let d = loaded
                .state
                .data()
                .expect("confirmable documents exist")
                .clone();
            return Ok(Done::new(d, None));
        }
        Err(e) => return Err(CommandError::Domain(e.into())),
    };
    let key = ObjectKey::document(pending.owner, document_id);
    let stored = inspect(svc, &key, &pending).await?;

    // Check before spending quota, so a bad upload never touches it.
    if let Err(DocumentError::UploadRejected(reason)) =
        decide::confirm_upload(&loaded.state, caller, stored.as_ref(), now)
    {
        return Err(reject(ctx, svc, &pending, reason).await);
    }

    // The binding step.
    let charged = match quota::charge(
        ctx,
        &*svc.snapshots,
        pending.owner,
        document_id,
        pending.size_bytes,
        svc.settings.default_quota_bytes,
    )
    .await
    {
        Ok(pos) => pos,
        Err(CommandError::Domain(DocError::Quota(q))) => {
            let _ = reject(ctx, svc, &pending, RejectReason::QuotaExceeded).await;
            return Err(CommandError::Domain(DocError::Quota(q)));
        }
        Err(e) => return Err(e),
    };

    // Appended against the state read above (read once); a concurrent change reloads.
    let result = execute_loaded::<Document, _, _, _>(
        ctx,
        document_id.as_uuid(),
        Some(pending.owner.as_uuid()),
        loaded,
        |s| {
            decide::confirm_upload(s, caller, stored.as_ref(), now).map(|e| {
                let appended = !e.is_empty();
                (e, appended)
            })
        },
    )
    .await;
    match result {
        Ok(done) if done.output => {
            let d = done
                .state
                .data()
                .expect("confirmed documents exist")
                .clone();
            Ok(Done::new(d, done.position).after(charged))
        }
        // A concurrent confirmation got there first; the charge (one per document, by its
        // event id) is the one both made.
        Ok(done) => {
            let d = done
                .state
                .data()
                .expect("confirmed documents exist")
                .clone();
            Ok(Done::new(d, charged))
        }
        // The document can no longer become active (expired, rejected meanwhile): the charge
        // goes back at once. After an operational failure it stays, for a retried confirmation
        // to use; if none comes, the sweeper releases it once the upload has expired.
        Err(e @ CommandError::Domain(_)) => {
            quota::release(
                ctx,
                &*svc.snapshots,
                pending.owner,
                document_id,
                pending.size_bytes,
            )
            .await?;
            Err(lift(e))
        }
        Err(e) => Err(lift(e)),
    }
}

/// What the store holds: size, SHA-256 (computed by reading the object back when the store does
/// not know it, e.g. S3 without a declared checksum), and the type sniffed from the first bytes.
async fn inspect(
    svc: &DocumentServices,
    key: &ObjectKey,
    pending: &DocumentData,
) -> DocResult<Option<StoredObject>> {
    let Some(head) = svc.blobs.head(key).await.map_err(infra)? else {
        return Ok(None);
    };
    let mut sha256 = head.sha256.map(hex::encode);
    if sha256.is_none() && head.size == pending.size_bytes {
        let mut body = svc.blobs.get(key).await.map_err(infra)?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            hasher.update(&chunk.map_err(infra)?);
        }
        sha256 = Some(hex::encode(hasher.finalize()));
    }
    let prefix = svc.blobs.read_prefix(key, SNIFF_LEN).await.map_err(infra)?;
    Ok(Some(StoredObject {
        size: head.size,
        sha256,
        content_type: sniff(&prefix, &pending.content_type),
    }))
}

/// Records a failed confirmation and removes the object; answers the error to return.
async fn reject(
    ctx: &CommandContext,
    svc: &DocumentServices,
    pending: &DocumentData,
    reason: RejectReason,
) -> CommandError<DocError> {
    let appended = execute::<Document, _, _, _>(
        ctx,
        pending.id.as_uuid(),
        Some(pending.owner.as_uuid()),
        |s| {
            decide::reject_upload(s, reason).map(|e| {
                let appended = !e.is_empty();
                (e, appended)
            })
        },
    )
    .await;
    match appended {
        Err(e) => return lift(e),
        // Not pending any more (a concurrent confirmation won): its object stays.
        Ok(done) if !done.output => {
            return CommandError::Domain(DocumentError::UploadRejected(reason).into())
        }
        Ok(_) => {}
    }
    if let Err(e) = svc
        .blobs
        .delete(&ObjectKey::document(pending.owner, pending.id))
        .await
    {
        tracing::warn!(document_id = %pending.id, error = %e, "could not delete a rejected upload");
    }
    CommandError::Domain(DocumentError::UploadRejected(reason).into())
}

/// The one-step upload: streams `body` into the store (never more than the caller's remaining
/// quota or the per-document maximum), then records and confirms it like a presigned upload.
pub async fn upload_stream(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    filename: &str,
    content_type: &str,
    folder_id: Option<FolderId>,
    body: ByteStream,
) -> DocResult<Done<DocumentData>> {
    let target = UploadTarget {
        document_id: DocumentId::new(),
        folder_id,
    };
    upload_stream_as(ctx, svc, caller, target, filename, content_type, body).await
}

/// Where a one-step upload goes: its document id and folder.
#[derive(Debug, Clone, Copy)]
pub struct UploadTarget {
    /// Fresh for ordinary uploads; derived from the source for imports, so that a re-run finds
    /// the document's stream already there instead of uploading it twice.
    pub document_id: DocumentId,
    pub folder_id: Option<FolderId>,
}

/// [`upload_stream`] into a given document id (the stream must not exist yet).
pub async fn upload_stream_as(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    target: UploadTarget,
    filename: &str,
    content_type: &str,
    body: ByteStream,
) -> DocResult<Done<DocumentData>> {
    let UploadTarget {
        document_id,
        folder_id,
    } = target;
    let filename = FileName::parse(filename).map_err(|e| CommandError::Domain(e.into()))?;
    ensure_folder(ctx, caller, folder_id).await?;
    let q = quota::current(ctx, &*svc.snapshots, caller).await?;
    let limit = q.limit_or(svc.settings.default_quota_bytes);
    let remaining = limit.saturating_sub(q.used);
    let max = remaining.min(svc.settings.max_document_bytes);
    let key = ObjectKey::document(caller, document_id);
    let content_type = clean_content_type(content_type);
    let head = match svc.blobs.put(&key, &content_type, body, max).await {
        Ok(h) => h,
        Err(domain::blob::BlobError::TooLarge { .. }) => {
            return Err(CommandError::Domain(
                if max < svc.settings.max_document_bytes {
                    DocError::Quota(QuotaError::Exceeded {
                        limit_bytes: limit,
                        used_bytes: q.used,
                    })
                } else {
                    DocError::TooLarge {
                        limit_bytes: svc.settings.max_document_bytes,
                    }
                },
            ));
        }
        Err(e) => return Err(infra(e)),
    };
    let now = ctx.clock.now();
    let cmd = RequestUpload {
        document_id,
        owner: caller,
        filename,
        declared_content_type: content_type,
        size: ByteSize(head.size),
        sha256: head.sha256.map(hex::encode),
        folder_id,
        expires_at: now + chrono_duration(svc.settings.upload_url_lifetime),
        // Streamed into `svc.blobs`: DocuVault's own store.
        storage: Storage::Local,
    };
    let requested =
        execute::<Document, _, _, _>(ctx, document_id.as_uuid(), Some(caller.as_uuid()), |s| {
            decide::request_upload(s, cmd.clone()).map(|e| (e, ()))
        })
        .await;
    if let Err(e) = requested {
        let _ = svc.blobs.delete(&key).await;
        return Err(lift(e));
    }
    confirm(ctx, svc, caller, document_id).await
}

/// The folder must exist in the caller's own tree (another user's folder does not).
pub(super) async fn ensure_folder(
    ctx: &CommandContext,
    owner: UserId,
    folder: Option<FolderId>,
) -> DocResult<()> {
    if let Some(f) = folder {
        let tree = load::<FolderTree>(ctx, owner.as_uuid()).await?.state;
        if !tree.contains(f) {
            return Err(CommandError::Domain(
                domain::folder::FolderError::NotFound.into(),
            ));
        }
    }
    Ok(())
}

async fn advisory_quota_check(
    ctx: &CommandContext,
    svc: &DocumentServices,
    owner: UserId,
    size: u64,
) -> DocResult<()> {
    let q = quota::current(ctx, &*svc.snapshots, owner).await?;
    if !q.fits(size, svc.settings.default_quota_bytes) {
        return Err(CommandError::Domain(DocError::Quota(
            QuotaError::Exceeded {
                limit_bytes: q.limit_or(svc.settings.default_quota_bytes),
                used_bytes: q.used,
            },
        )));
    }
    Ok(())
}

fn parse_sha256(raw: Option<&str>) -> DocResult<Option<[u8; 32]>> {
    match raw {
        None => Ok(None),
        Some(s) => hex::decode(s.trim())
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .map(Some)
            .ok_or(CommandError::Domain(DocError::InvalidChecksum)),
    }
}

/// A declared content type is signed into the upload URL and sent as a header, so it must be a
/// plain `type/subtype` token; anything else becomes `application/octet-stream`.
pub fn clean_content_type(raw: &str) -> String {
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let valid = essence.len() <= 127
        && essence.split_once('/').is_some_and(|(t, s)| {
            let token = |p: &str| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
            };
            token(t) && token(s)
        });
    if valid {
        essence
    } else {
        "application/octet-stream".to_owned()
    }
}
