//! `/api/trash`: the caller's trashed documents, and purging one for good.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commands::documents::manage;
use domain::ids::DocumentId;
use projections::documents::{Listing, Sort};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::documents::{list_page, page_limit};
use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::documents::dto::{DocumentDto, Page};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(purge))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrashQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Trashed documents, most recently created first. They are purged automatically after the
/// configured retention period.
#[utoipa::path(get, path = "/api/trash", tag = "documents", params(TrashQuery),
    responses((status = 200, body = Page<DocumentDto>)), security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<TrashQuery>,
) -> ApiResult<Json<Page<DocumentDto>>> {
    let listing = Listing {
        owner: user.id().as_uuid(),
        state: "trashed",
        folder: None,
        q: None,
        sort: Sort::parse(None)?,
        limit: page_limit(q.limit),
        cursor: q.cursor,
    };
    Ok(Json(list_page(&state, &listing).await?))
}

/// Purge: the bytes are deleted and the quota is freed. Only trashed documents can be purged.
#[utoipa::path(delete, path = "/api/trash/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "Not in the trash")),
    security(("bearer" = [])))]
async fn purge(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, ConsistencyToken, ())> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let done = manage::purge(&ctx, &state.documents.services, me, DocumentId(id)).await?;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(done.position), ()))
}
