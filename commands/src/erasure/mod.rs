//! Erasure, the right to be forgotten: deactivate the account, purge every document it owned,
//! delete its cloud storage credentials, destroy its data key (crypto-shredding) and record `UserErased`. Projections then drop or
//! anonymise the account's rows; the log itself stays intact and verifiable.
//!
//! The sequence is safe to repeat: each step is a no-op when a previous attempt already did it,
//! so a retried erasure finishes whatever a failed one left undone.

pub mod ports;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use domain::blob::{BlobError, ObjectKey};
use domain::ids::{DocumentId, UserId};
use domain::ports::{DataKeys, KeyError};
use domain::user::User;

pub use ports::{OwnedDocuments, OwnedDocumentsError};

use crate::context::CommandContext;
use crate::documents::{manage, DocumentServices};
use crate::error::CommandError;
use crate::identity::admin::{self, PatchUser};
use crate::identity::IdentityError;
use crate::storage::{CredentialVault, VaultError};

/// What erasure talks to besides the command context.
#[derive(Clone, Copy)]
pub struct ErasureDeps<'a> {
    pub documents: &'a DocumentServices,
    pub owned: &'a dyn OwnedDocuments,
    pub keys: &'a dyn DataKeys,
    /// The credentials of the account's cloud storage backends (`None` where the server has
    /// no cloud storage configured).
    pub credentials: Option<&'a dyn CredentialVault>,
}

/// The outcome of an erasure.
#[derive(Debug, Clone)]
pub struct Erased {
    /// The account's state after `UserErased`.
    pub user: User,
    /// Documents whose stored bytes were purged (0 on a repeated erasure).
    pub blobs_purged: u64,
    /// When the account was erased (its `not_before`, or now when the state has none).
    pub erased_at: DateTime<Utc>,
    /// The position of `UserErased`, `None` when nothing was appended.
    pub position: Option<u64>,
}

/// Why an erasure stopped. Each step that already ran stays done; repeating the erasure resumes.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// Deactivating or recording the erasure was refused or failed (not found, not an admin,
    /// `cannot_modify_self`, a conflict, the event store).
    #[error(transparent)]
    Account(#[from] CommandError<IdentityError>),
    #[error(transparent)]
    OwnedDocuments(#[from] OwnedDocumentsError),
    #[error("a stored document could not be deleted")]
    Blobs(#[source] BlobError),
    #[error("the data key could not be destroyed")]
    Keys(#[source] KeyError),
    #[error("the cloud storage credentials could not be deleted")]
    Credentials(#[source] VaultError),
}

/// Erases `user_id` for the admin in `ctx` (admins cannot erase themselves). `deactivated` is
/// called once the account is inactive, before anything is purged, so the caller can end its
/// sessions at once (e.g. refresh an auth cache) even if a later step fails.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn erase_user(
    ctx: &CommandContext,
    deps: ErasureDeps<'_>,
    user_id: UserId,
    reason: &str,
    deactivated: impl FnOnce(&User),
) -> Result<Erased, EraseError> {
    // 1. Deactivate: sessions end now (a repeat finds it inactive and appends nothing).
    let (user, _) = admin::patch_user(
        ctx,
        user_id,
        PatchUser {
            role: None,
            is_active: Some(false),
        },
    )
    .await?;
    deactivated(&user);
    // 2. Purge every document the account owned through the ordinary path (trash, then purge:
    //    the aggregate records it, bytes and derived objects go, the quota is released), so no
    //    share can reach it any more. Uploads that never completed only have bytes to delete.
    let mut purged = 0;
    for id in deps.owned.owned_by(user_id).await? {
        if purge_document(ctx, deps.documents, user_id, id).await? {
            purged += 1;
        }
    }
    // 3. Forget the cloud storage credentials (they never were in the log), then crypto-shred:
    //    every personal value sealed with this key becomes unreadable.
    if let Some(vault) = deps.credentials {
        vault
            .remove_user(user_id)
            .await
            .map_err(EraseError::Credentials)?;
    }
    deps.keys
        .destroy(user_id.as_uuid())
        .await
        .map_err(EraseError::Keys)?;
    // 4. Record it; projections drop or anonymise the account's rows.
    let (user, position) = admin::record_erasure(ctx, user_id, reason).await?;
    let erased_at = user.not_before.unwrap_or_else(|| ctx.clock.now());
    Ok(Erased {
        user,
        blobs_purged: purged,
        erased_at,
        position,
    })
}

/// Trashes and purges one document of the account; for a document the aggregate will not purge
/// (pending, already gone) deletes whatever bytes are still stored. Whether bytes were purged.
async fn purge_document(
    ctx: &CommandContext,
    svc: &DocumentServices,
    owner: UserId,
    id: DocumentId,
) -> Result<bool, EraseError> {
    // Refused for documents that are not active (pending, trashed, gone): nothing to do.
    let _ = manage::trash(ctx, owner, id).await;
    if manage::purge(ctx, svc, owner, id).await.is_ok() {
        return Ok(true);
    }
    let key = ObjectKey::document(owner, id);
    let stored = svc.blobs.head(&key).await.map_err(EraseError::Blobs)?;
    if stored.is_none() {
        return Ok(false);
    }
    svc.blobs.delete(&key).await.map_err(EraseError::Blobs)?;
    Ok(true)
}
