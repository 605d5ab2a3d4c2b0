//! Sharing a document with another user by `@handle`, and revoking it.

use domain::document::{decide, Document, DocumentError, Permission};
use domain::ids::{DocumentId, ShareId, UserId};

use super::error::{infra, lift, DocError, DocResult};
use super::{DocumentServices, Done};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load};

#[derive(Debug, Clone)]
pub struct Shared {
    pub share_id: ShareId,
    pub recipient: UserId,
    pub permission: Permission,
}

pub async fn share(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    id: DocumentId,
    handle: &str,
    permission: Permission,
) -> DocResult<Done<Shared>> {
    // Visibility first: a stranger learns nothing about handles through someone else's document.
    let doc = load::<Document>(ctx, id.as_uuid()).await?.state;
    if let Err(e @ (DocumentError::NotFound | DocumentError::OwnerOnly)) =
        decide::share(&doc, caller, ShareId::new(), caller, permission)
    {
        return Err(CommandError::Domain(e.into()));
    }
    let handle = handle.trim().trim_start_matches('@');
    let recipient = svc
        .users
        .find_by_handle(handle)
        .await
        .map_err(infra)?
        .ok_or(CommandError::Domain(DocError::RecipientNotFound))?;
    let share_id = ShareId::new();
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
        decide::share(s, caller, share_id, recipient, permission).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new(
        Shared {
            share_id,
            recipient,
            permission,
        },
        done.position,
    ))
}

pub async fn revoke(
    ctx: &CommandContext,
    caller: UserId,
    id: DocumentId,
    share_id: ShareId,
) -> DocResult<Done<()>> {
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
        decide::revoke(s, caller, share_id).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new((), done.position))
}
