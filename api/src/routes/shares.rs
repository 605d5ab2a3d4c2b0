//! Sharing: `/api/documents/{id}/shares` (owner only) and `/api/shared-with-me`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commands::documents::share;
use domain::document::{Document, Permission};
use domain::ids::{DocumentId, ShareId, UserId};
use projections::documents::Visibility;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::documents::page_limit;
use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::documents::dto::{
    CreateShareRequest, DocumentDto, OwnerRef, Page, ShareDto, SharedDocumentDto, ERASED_HANDLE,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
        .routes(routes!(shared_with_me))
}

fn permission(raw: &str) -> ApiResult<Permission> {
    match raw {
        "view" => Ok(Permission::View),
        "download" => Ok(Permission::Download),
        _ => Err(ApiError::bad_request(
            "invalid_permission",
            "permission must be `view` or `download`.",
        )),
    }
}

/// The owner's view of a document; a recipient is refused, anyone else gets 404.
async fn owned(state: &AppState, me: UserId, id: Uuid) -> ApiResult<()> {
    match state
        .documents
        .reads
        .visible_document(me.as_uuid(), id)
        .await?
    {
        Some((_, Visibility::Owner)) => Ok(()),
        Some((_, Visibility::Recipient(_))) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "owner_only",
            "Only the owner may see or change who a document is shared with.",
        )),
        None => Err(ApiError::not_found()),
    }
}

/// Share with a user by handle. Recipients can read the metadata and, with `download`, the bytes.
#[utoipa::path(post, path = "/api/documents/{id}/shares", tag = "shares", params(("id" = Uuid, Path)),
    request_body = CreateShareRequest,
    responses((status = 201, body = ShareDto), (status = 403, description = "Not the owner"), (status = 404, description = "No such document, or `recipient_not_found`"), (status = 409, description = "`already_shared`, `too_many_shares`")),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateShareRequest>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<ShareDto>)> {
    let me = user.id();
    let permission = permission(&body.permission)?;
    let ctx = command_context(&state, me, user.role(), &headers);
    // A handle registered a moment ago may not be projected yet: catch up once before the
    // command resolves it (an unknown handle still answers `recipient_not_found`).
    let known = state
        .documents
        .services
        .users
        .find_by_handle(&body.handle)
        .await
        .map_err(|e| ApiError::internal(e.0))?;
    if known.is_none() {
        crate::consistency::catch_up_with_log(&state).await?;
    }
    let done = share::share(
        &ctx,
        &state.documents.services,
        me,
        DocumentId(id),
        &body.handle,
        permission,
    )
    .await?;
    let s = done.value;
    let handle = super::documents::owner_handle(&state, s.recipient.as_uuid()).await?;
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(ShareDto {
            id: s.share_id.as_uuid(),
            document_id: id,
            recipient: OwnerRef {
                id: s.recipient.as_uuid(),
                handle,
            },
            permission: s.permission.as_str().into(),
            created_at: ctx.clock.now(),
        }),
    ))
}

/// Who the document is shared with (owner only).
#[utoipa::path(get, path = "/api/documents/{id}/shares", tag = "shares", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ShareDto>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ShareDto>>> {
    owned(&state, user.id(), id).await?;
    let rows = state.documents.reads.shares_of(id).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.recipient_id).collect();
    let mut handles = state.documents.reads.handles(&ids).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let h = handles
                    .remove(&r.recipient_id)
                    .unwrap_or_else(|| ERASED_HANDLE.into());
                ShareDto::from_row(r, h)
            })
            .collect(),
    ))
}

/// Revoke a share; the recipient loses access at once.
#[utoipa::path(delete, path = "/api/documents/{id}/shares/{share_id}", tag = "shares",
    params(("id" = Uuid, Path), ("share_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath((id, share_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, ConsistencyToken, ())> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let done = share::revoke(&ctx, me, DocumentId(id), ShareId(share_id)).await?;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(done.position), ()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SharedQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Documents others shared with the caller, newest share first, with owner and permission.
#[utoipa::path(get, path = "/api/shared-with-me", tag = "shares", params(SharedQuery),
    responses((status = 200, body = Page<SharedDocumentDto>)), security(("bearer" = [])))]
async fn shared_with_me(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SharedQuery>,
) -> ApiResult<Json<Page<SharedDocumentDto>>> {
    let me = user.id();
    let (rows, next_cursor) = state
        .documents
        .reads
        .shared_with(
            user.id().as_uuid(),
            page_limit(q.limit),
            q.cursor.as_deref(),
        )
        .await?;
    let ctx = command_context(&state, me, user.role(), &headers);
    let mut items = Vec::with_capacity(rows.len());
    for (doc, permission) in rows {
        // A share revoked a moment ago may still be in the read model; the stream decides.
        let id = doc.id;
        let live = commands::load::<Document>(&ctx, id).await?.state;
        if live.access(me) == domain::document::Access::None {
            continue;
        }
        let mut document = DocumentDto::from(doc);
        // The owner's other documents are none of a recipient's business.
        document.duplicate_of = None;
        items.push(SharedDocumentDto {
            document,
            permission,
        });
    }
    Ok(Json(Page { items, next_cursor }))
}
