//! Background clean-up: abandoned uploads expire (and their objects are removed), trashed
//! documents are purged after the retention period. Candidates come from the read model; each
//! is re-decided against its own stream, so a late confirmation or a restore always wins.

use domain::blob::ObjectKey;
use domain::document::{decide, Document};

use super::error::{infra, lift, DocResult};
use super::{chrono_duration, manage, DocumentServices};
use crate::context::CommandContext;
use crate::executor::execute;

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
        let owner = crate::executor::load::<Document>(ctx, id.as_uuid())
            .await?
            .state
            .data()
            .map(|d| d.owner);
        let Some(owner) = owner else { continue };
        let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(owner.as_uuid()), |s| {
            decide::expire_upload(s, before).map(|e| {
                let appended = !e.is_empty();
                (e, appended)
            })
        })
        .await
        .map_err(lift)?;
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
        let owner = crate::executor::load::<Document>(ctx, id.as_uuid())
            .await?
            .state
            .data()
            .map(|d| d.owner);
        let Some(owner) = owner else { continue };
        let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(owner.as_uuid()), |s| {
            decide::auto_purge(s, now, retention).map(|e| {
                let appended = !e.is_empty();
                (e, appended)
            })
        })
        .await
        .map_err(lift)?;
        if done.output {
            let d = done.state.data().expect("purged documents exist").clone();
            manage::finish_purge(ctx, svc, &d).await?;
            purged += 1;
        }
    }
    Ok(purged)
}
