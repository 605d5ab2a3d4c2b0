//! Background clean-up: abandoned uploads expire (and their objects are removed), trashed
//! documents are purged after the retention period. Candidates come from the read model; each
//! is re-decided against its own stream, so a late confirmation or a restore always wins.

use domain::blob::ObjectKey;
use domain::document::{decide, Document, DocumentError, DocumentEvent};
use domain::ids::DocumentId;

use super::error::{infra, lift, DocResult};
use super::{chrono_duration, manage, quota, DocumentServices};
use crate::context::CommandContext;
use crate::executor::{execute, Executed};

/// Runs a system decision on one document (under its owner's data key); `None` when the
/// document does not exist. The output says whether anything was appended.
async fn decide_on(
    ctx: &CommandContext,
    id: DocumentId,
    decide: impl Fn(&Document) -> Result<Vec<DocumentEvent>, DocumentError>,
) -> DocResult<Option<Executed<Document, bool>>> {
    let owner = crate::executor::load::<Document>(ctx, id.as_uuid())
        .await?
        .state
        .data()
        .map(|d| d.owner);
    let Some(owner) = owner else {
        return Ok(None);
    };
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(owner.as_uuid()), |s| {
        decide(s).map(|e| {
            let appended = !e.is_empty();
            (e, appended)
        })
    })
    .await
    .map_err(lift)?;
    Ok(Some(done))
}

/// Expires up to `batch` abandoned uploads; answers how many.
pub async fn expire_abandoned_uploads(
    ctx: &CommandContext,
    svc: &DocumentServices,
    batch: usize,
) -> DocResult<usize> {
    let now = ctx.clock.now();
    let before = now - chrono_duration(svc.settings.upload_grace);
    let ids = svc
        .facts
        .abandoned_uploads(before, batch)
        .await
        .map_err(infra)?;
    let mut expired = 0;
    for id in ids {
        let Some(done) = decide_on(ctx, id, |s| decide::expire_upload(s, before)).await? else {
            continue;
        };
        let owner = done.state.data().expect("expired documents exist").owner;
        if done.output {
            svc.blobs
                .delete(&ObjectKey::document(owner, id))
                .await
                .map_err(infra)?;
            expired += 1;
        }
    }
    Ok(expired)
}

/// Purges up to `batch` documents that have been in the trash longer than the retention period.
pub async fn purge_expired_trash(
    ctx: &CommandContext,
    svc: &DocumentServices,
    batch: usize,
) -> DocResult<usize> {
    let now = ctx.clock.now();
    let retention = chrono_duration(svc.settings.trash_retention);
    let ids = svc
        .facts
        .trashed_before(now - retention, batch)
        .await
        .map_err(infra)?;
    let mut purged = 0;
    for id in ids {
        let Some(done) = decide_on(ctx, id, |s| decide::auto_purge(s, now, retention)).await?
        else {
            continue;
        };
        if done.output {
            let d = done.state.data().expect("purged documents exist").clone();
            manage::finish_purge(ctx, svc, &d).await?;
            purged += 1;
        }
    }
    Ok(purged)
}

/// Releases up to `batch` quota charges whose document is gone (a crash between the document's
/// event and the quota's); answers how many. The document's own stream confirms it is gone, and
/// a release has one event id per document, so a charge can never be released twice.
pub async fn release_orphaned_charges(
    ctx: &CommandContext,
    svc: &DocumentServices,
    batch: usize,
) -> DocResult<usize> {
    let orphans = svc.facts.orphaned_charges(batch).await.map_err(infra)?;
    let mut released = 0;
    for (owner, id, size) in orphans {
        let doc = crate::executor::load::<Document>(ctx, id.as_uuid())
            .await?
            .state;
        if doc.data().is_some_and(|d| !d.status.is_gone()) {
            continue;
        }
        if quota::release(ctx, &*svc.snapshots, owner, id, size)
            .await?
            .is_some()
        {
            released += 1;
        }
    }
    Ok(released)
}
