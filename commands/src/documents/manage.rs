//! Organising a document: rename, move, trash, restore, purge.

use domain::blob::ObjectKey;
use domain::document::{decide, Document, DocumentData, DocumentError};
use domain::folder::FolderTree;
use domain::ids::{DocumentId, FolderId, UserId};
use domain::name::FileName;

use super::error::{lift, DocResult};
use super::upload::ensure_folder;
use super::{quota, DocumentServices, Done};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load};

/// `PATCH /api/documents/{id}`: a new name and/or a new folder (`Some(None)`: the top level).
#[derive(Debug, Clone, Default)]
pub struct DocumentChange {
    pub filename: Option<String>,
    pub folder_id: Option<Option<FolderId>>,
}

pub async fn update(
    ctx: &CommandContext,
    caller: UserId,
    id: DocumentId,
    change: DocumentChange,
) -> DocResult<Done<DocumentData>> {
    let filename = change
        .filename
        .as_deref()
        .map(FileName::parse)
        .transpose()
        .map_err(|e| CommandError::Domain(e.into()))?;
    if let Some(folder) = change.folder_id {
        // The document must be visible to the caller before anything is said about folders.
        let doc = load::<Document>(ctx, id.as_uuid()).await?.state;
        decide::move_to(&doc, caller, folder).map_err(|e| CommandError::Domain(e.into()))?;
        ensure_folder(ctx, caller, folder).await?;
    }
    let done =
        execute::<Document, _, DocumentError, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
            let mut events = Vec::new();
            let mut state = s.clone();
            if let Some(name) = &filename {
                let e = decide::rename(&state, caller, name.clone())?;
                state = e.iter().fold(state, domain::Aggregate::evolve);
                events.extend(e);
            }
            if let Some(folder) = change.folder_id {
                events.extend(decide::move_to(&state, caller, folder)?);
            }
            if filename.is_none() && change.folder_id.is_none() {
                // An empty change still has to be allowed for the caller.
                decide::rename(&state, caller, current_name(&state))?;
            }
            Ok((events, ()))
        })
        .await
        .map_err(lift)?;
    Ok(Done::new(data(&done.state), done.position))
}

fn current_name(state: &Document) -> FileName {
    state
        .data()
        .and_then(|d| d.filename.value())
        .and_then(|n| FileName::parse(n).ok())
        .unwrap_or_else(|| FileName::parse("document").expect("valid name"))
}

pub async fn trash(
    ctx: &CommandContext,
    caller: UserId,
    id: DocumentId,
) -> DocResult<Done<DocumentData>> {
    let now = ctx.clock.now();
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
        decide::trash(s, caller, now).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new(data(&done.state), done.position))
}

pub async fn restore(
    ctx: &CommandContext,
    caller: UserId,
    id: DocumentId,
) -> DocResult<Done<DocumentData>> {
    let tree = load::<FolderTree>(ctx, caller.as_uuid()).await?.state;
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
        let still_there = s
            .data()
            .and_then(|d| d.folder_id)
            .is_some_and(|f| tree.contains(f));
        decide::restore(s, caller, still_there).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    Ok(Done::new(data(&done.state), done.position))
}

/// Purges a trashed document: recorded first, then the bytes go, then the quota is freed.
pub async fn purge(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    id: DocumentId,
) -> DocResult<Done<()>> {
    let done = execute::<Document, _, _, _>(ctx, id.as_uuid(), Some(caller.as_uuid()), |s| {
        decide::purge(s, caller).map(|e| (e, ()))
    })
    .await
    .map_err(lift)?;
    let d = data(&done.state);
    let pos = finish_purge(ctx, svc, &d).await?;
    Ok(Done::new((), done.position).after(pos))
}

/// After `DocumentPurged`: delete the bytes (and derived objects) and release the charge.
pub(super) async fn finish_purge(
    ctx: &CommandContext,
    svc: &DocumentServices,
    d: &DocumentData,
) -> DocResult<Option<u64>> {
    let key = ObjectKey::document(d.owner, d.id);
    if let Err(e) = svc.blobs.delete(&key).await {
        // The purge stands; a leftover object costs disk, not correctness. Logged for the operator.
        tracing::warn!(document_id = %d.id, error = %e, "could not delete a purged document's bytes");
    }
    for name in DERIVED_OBJECTS {
        if let Ok(k) = ObjectKey::derived(d.owner, d.id, name) {
            let _ = svc.blobs.delete(&k).await;
        }
    }
    quota::release(ctx, &*svc.snapshots, d.owner, d.id, d.size_bytes).await
}

/// Objects the processing pipeline derives from a document; purged with it.
pub const DERIVED_OBJECTS: &[&str] = &["text.txt", "thumbnail.png"];

fn data(state: &Document) -> DocumentData {
    state.data().cloned().expect("a decided-on document exists")
}
