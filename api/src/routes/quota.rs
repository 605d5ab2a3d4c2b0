//! `GET /api/quota` and the admins' `PUT /api/admin/users/{id}/quota`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use commands::documents::quota;
use domain::ids::UserId;
use projections::ReadError;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::{Admin, CurrentUser};
use crate::consistency::ConsistencyToken;
use crate::documents::dto::{QuotaDto, SetQuotaRequest};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_quota))
        .routes(routes!(set_quota))
}

async fn quota_dto(state: &AppState, user: Uuid) -> ApiResult<QuotaDto> {
    let (limit, used, reserved) = state
        .documents
        .reads
        .quota_of(user, state.clock.now())
        .await?;
    Ok(QuotaDto {
        limit_bytes: limit
            .map(|l| l.max(0) as u64)
            .unwrap_or(state.documents.services.settings.default_quota_bytes),
        used_bytes: used.max(0) as u64,
        reserved_bytes: reserved.max(0) as u64,
    })
}

/// The caller's storage quota: trash counts until purged; `reserved_bytes` are uploads
/// requested but not confirmed yet.
#[utoipa::path(get, path = "/api/quota", tag = "quota",
    responses((status = 200, body = QuotaDto)), security(("bearer" = [])))]
async fn get_quota(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<QuotaDto>> {
    Ok(Json(quota_dto(&state, user.id().as_uuid()).await?))
}

/// Set a user's limit (admins). Lowering it below the usage deletes nothing; new uploads are
/// refused until enough is purged.
#[utoipa::path(put, path = "/api/admin/users/{id}/quota", tag = "quota", params(("id" = Uuid, Path)),
    request_body = SetQuotaRequest,
    responses((status = 200, body = QuotaDto), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn set_quota(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetQuotaRequest>,
) -> ApiResult<(ConsistencyToken, Json<QuotaDto>)> {
    let limit = u64::try_from(body.limit_bytes)
        .map_err(|_| ApiError::bad_request("invalid_limit", "limit_bytes must not be negative."))?;
    let exists = || async {
        let known = state.documents.reads.handles(&[id]).await?;
        Ok::<_, ReadError>(!known.is_empty())
    };
    // A user registered a moment ago may not be projected yet: catch up once before a 404.
    if !exists().await? {
        crate::consistency::catch_up_with_log(&state).await?;
        if !exists().await? {
            return Err(ApiError::not_found());
        }
    }
    let ctx = command_context(&state, admin.0.id, admin.0.role, &headers);
    let done = quota::set_limit(
        &ctx,
        &*state.documents.services.snapshots,
        UserId(id),
        limit,
    )
    .await?;
    let (_, _, reserved) = state
        .documents
        .reads
        .quota_of(id, state.clock.now())
        .await?;
    let q = done.value;
    Ok((
        ConsistencyToken(done.position),
        Json(QuotaDto {
            limit_bytes: q.limit_or(state.documents.services.settings.default_quota_bytes),
            used_bytes: q.used,
            reserved_bytes: reserved.max(0) as u64,
        }),
    ))
}
