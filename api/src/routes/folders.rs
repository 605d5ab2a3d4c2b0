//! `/api/folders`: the caller's folder tree.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commands::documents::folders;
use domain::folder::FolderNode;
use domain::ids::{FolderId, UserId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::documents::dto::{CreateFolderRequest, FolderDto, UpdateFolderRequest};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

/// The folder as a command just left it: from the read model once the projections caught up
/// with `position` (a bounded wait), else from the aggregate.
async fn dto_after(
    state: &AppState,
    owner: UserId,
    position: Option<u64>,
    id: FolderId,
    node: FolderNode,
) -> ApiResult<FolderDto> {
    if let (Some(waiter), Some(pos)) = (&state.waiter, position) {
        let timeout = std::time::Duration::from_millis(state.config.consistency_wait_ms);
        waiter.wait_for(pos, timeout).await;
    }
    if let Some(f) = state
        .documents
        .reads
        .folder(owner.as_uuid(), id.as_uuid())
        .await?
    {
        return Ok(f.into());
    }
    let now = state.clock.now();
    Ok(FolderDto {
        id: id.as_uuid(),
        name: node.name.display(),
        parent_id: node.parent.map(|p| p.as_uuid()),
        created_at: now,
        updated_at: now,
    })
}

/// Create a folder (names are unique per parent, ignoring case).
#[utoipa::path(post, path = "/api/folders", tag = "folders", request_body = CreateFolderRequest,
    responses((status = 201, body = FolderDto), (status = 400), (status = 404, description = "No such parent"), (status = 409, description = "`name_taken`")),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateFolderRequest>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<FolderDto>)> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let done = folders::create(&ctx, me, &body.name, body.parent_id.map(FolderId)).await?;
    let (id, node) = done.value;
    let dto = dto_after(&state, me, done.position, id, node).await?;
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(dto),
    ))
}

/// The caller's whole tree, flat (each folder names its parent).
#[utoipa::path(get, path = "/api/folders", tag = "folders",
    responses((status = 200, body = Vec<FolderDto>)), security(("bearer" = [])))]
async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<FolderDto>>> {
    let rows = state
        .documents
        .reads
        .folders_of(user.id().as_uuid())
        .await?;
    Ok(Json(rows.into_iter().map(FolderDto::from).collect()))
}

/// Rename and/or move (`parent_id: null` moves to the top level). A folder can never be moved
/// into its own subtree (409 `folder_cycle`).
#[utoipa::path(patch, path = "/api/folders/{id}", tag = "folders", params(("id" = Uuid, Path)),
    request_body = UpdateFolderRequest,
    responses((status = 200, body = FolderDto), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateFolderRequest>,
) -> ApiResult<(ConsistencyToken, Json<FolderDto>)> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let done = folders::update(
        &ctx,
        me,
        FolderId(id),
        body.name.as_deref(),
        body.parent_id.map(|p| p.map(FolderId)),
    )
    .await?;
    let dto = dto_after(&state, me, done.position, FolderId(id), done.value).await?;
    Ok((ConsistencyToken(done.position), Json(dto)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteQuery {
    /// Move everything inside to the trash and delete the whole subtree.
    #[serde(default)]
    pub recursive: bool,
}

/// Delete a folder: 409 `folder_not_empty` unless it is empty or `recursive=true`.
#[utoipa::path(delete, path = "/api/folders/{id}", tag = "folders", params(("id" = Uuid, Path), DeleteQuery),
    responses((status = 204), (status = 404), (status = 409, description = "`folder_not_empty`")),
    security(("bearer" = [])))]
async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<(StatusCode, ConsistencyToken, ())> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let done = folders::delete(
        &ctx,
        &state.documents.services,
        me,
        FolderId(id),
        q.recursive,
    )
    .await?;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(done.position), ()))
}
