//! Folder use cases on the caller's own folder tree.

use domain::folder::{decide, FolderNode, FolderTree};
use domain::ids::{FolderId, UserId};
use domain::name::FolderName;

use super::error::{infra, lift, DocResult};
use super::{manage, DocumentServices, Done};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::execute;

pub async fn create(
    ctx: &CommandContext,
    caller: UserId,
    name: &str,
    parent: Option<FolderId>,
) -> DocResult<Done<(FolderId, FolderNode)>> {
    let name = FolderName::parse(name).map_err(|e| CommandError::Domain(e.into()))?;
    let id = FolderId::new();
    let done = execute::<FolderTree, _, _, _>(ctx, caller.as_uuid(), Some(caller.as_uuid()), |t| {
        decide::create(t, caller, id, name.clone(), parent).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new((id, node(&done.state, id)), done.position))
}

/// `PATCH /api/folders/{id}`: rename and/or move (`Some(None)`: to the top level).
pub async fn update(
    ctx: &CommandContext,
    caller: UserId,
    id: FolderId,
    name: Option<&str>,
    parent: Option<Option<FolderId>>,
) -> DocResult<Done<FolderNode>> {
    let name = name
        .map(FolderName::parse)
        .transpose()
        .map_err(|e| CommandError::Domain(e.into()))?;
    let done = execute::<FolderTree, _, _, _>(ctx, caller.as_uuid(), Some(caller.as_uuid()), |t| {
        if !t.contains(id) {
            return Err(domain::folder::FolderError::NotFound);
        }
        let mut events = Vec::new();
        let mut tree = t.clone();
        if let Some(n) = &name {
            let e = decide::rename(&tree, id, n.clone())?;
            tree = e.iter().fold(tree, domain::Aggregate::evolve);
            events.extend(e);
        }
        if let Some(p) = parent {
            events.extend(decide::move_to(&tree, id, p)?);
        }
        Ok((events, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new(node(&done.state, id), done.position))
}

/// Deletes a folder: refused unless empty, or with `recursive` every active document below it
/// goes to the trash first and then the whole subtree is removed.
pub async fn delete(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    id: FolderId,
    recursive: bool,
) -> DocResult<Done<()>> {
    let tree = crate::executor::load::<FolderTree>(ctx, caller.as_uuid())
        .await?
        .state;
    if !tree.contains(id) {
        return Err(CommandError::Domain(
            domain::folder::FolderError::NotFound.into(),
        ));
    }
    let mut position = None;
    let holds = if recursive {
        let subtree = tree.subtree_post_order(id);
        let docs = svc
            .facts
            .active_documents_in(caller, &subtree)
            .await
            .map_err(infra)?;
        for doc in docs {
            match manage::trash(ctx, caller, doc).await {
                Ok(done) => position = position.max(done.position),
                // Already gone or no longer the caller's: nothing to trash.
                Err(CommandError::Domain(_)) => {}
                Err(e) => return Err(e),
            }
        }
        false
    } else {
        svc.facts
            .folder_holds_documents(caller, id)
            .await
            .map_err(infra)?
    };
    let done = execute::<FolderTree, _, _, _>(ctx, caller.as_uuid(), Some(caller.as_uuid()), |t| {
        decide::delete(t, id, recursive, holds).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new((), done.position).after(position))
}

fn node(tree: &FolderTree, id: FolderId) -> FolderNode {
    tree.folders
        .get(&id)
        .cloned()
        .expect("a folder just decided on exists")
}
