//! `/api/admin/users`: list (cursor-paginated, text filter), create, and patch role/activity.
//! Admins only; the acting admin is recorded in the metadata of every event these produce.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use commands::identity::admin::{self, PatchUser};
use commands::identity::{AuthState, RegisterUser};
use domain::ids::UserId;
use domain::user::{Role, User};
use projections::users::query::UserRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::auth::{command_ctx, RoleDto, UserSummary};
use crate::auth::{Admin, ClientInfo};
use crate::consistency::ConsistencyToken;
use crate::documents::dto::QuotaDto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(tags((name = "admin", description = "Account administration (admins only)")))]
struct AdminDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AdminDoc::openapi())
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, patch_user))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUser {
    pub id: Uuid,
    /// `[erased]` once the user's personal data was destroyed.
    pub email: String,
    pub handle: String,
    pub role: RoleDto,
    pub is_active: bool,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The user's storage quota; on listings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaDto>,
    /// The user's cloud storage backends (never a credential); on `GET /api/admin/users/{id}`
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_backends: Option<Vec<crate::routes::storage::BackendDto>>,
}

impl AdminUser {
    fn from_row(row: UserRow) -> ApiResult<Self> {
        let role: Role = row.role.parse().map_err(ApiError::internal)?;
        Ok(Self {
            id: row.id,
            email: row.email.unwrap_or_else(|| "[erased]".into()),
            handle: row.handle,
            role: role.into(),
            is_active: row.is_active,
            totp_enabled: row.totp_enabled,
            created_at: row.created_at,
            quota: None,
            storage_backends: None,
        })
    }

    fn from_state(user: &User) -> Option<Self> {
        Some(Self {
            id: user.id?.0,
            email: user.email.as_ref().map(|e| e.display()).unwrap_or_default(),
            handle: user.handle.clone(),
            role: user.role?.into(),
            is_active: user.active,
            totp_enabled: user.totp.enabled(),
            created_at: user.registered_at?,
            quota: None,
            storage_backends: None,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Case-insensitive substring of the handle or email.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<AdminUser>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(raw: &str) -> ApiResult<Uuid> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not one we issued."))
}

/// `%`, `_` and `\` taken literally inside a LIKE pattern.
/// List accounts, oldest first (ids are time-ordered), optionally filtered by text.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = UserPage),
        (status = 403, description = "Not an admin"),
    ))]
async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<UserPage>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200) as i64;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = state
        .users
        .admin_page(after, text, limit + 1, state.clock.now())
        .await?;
    let default_limit = state.documents.services.settings.default_quota_bytes;
    let mut items = rows
        .into_iter()
        .map(|row| {
            let mut user = AdminUser::from_row(row.user)?;
            user.quota = Some(QuotaDto {
                limit_bytes: row.quota_limit.map_or(default_limit, |l| l.max(0) as u64),
                used_bytes: row.quota_used.max(0) as u64,
                reserved_bytes: row.quota_reserved.max(0) as u64,
            });
            Ok(user)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|u| encode_cursor(u.id))
    } else {
        None
    };
    Ok(Json(UserPage { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub email: String,
    pub handle: String,
    pub password: String,
    /// Default `user`.
    #[serde(default)]
    pub role: Option<RoleDto>,
}

/// Create an account with any role.
#[utoipa::path(post, path = "/api/admin/users", tag = "admin",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserSummary),
        (status = 403, description = "Not an admin"),
        (status = 409, description = "`email_taken` or `handle_taken`"),
        (status = 422, description = "Invalid email, handle or password"),
    ))]
async fn create_user(
    State(state): State<AppState>,
    Admin(who): Admin,
    client: ClientInfo,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, who.actor());
    let done = admin::create_user(
        &ctx,
        &state.identity.deps,
        RegisterUser {
            email: req.email,
            handle: req.handle,
            password: req.password,
            role: req.role.map_or(Role::User, Role::from),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(UserSummary::from(&done)),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct PatchUserRequest {
    #[serde(default)]
    pub role: Option<RoleDto>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// One account, with its cloud storage backends (kind, name, status, counts; never a
/// credential).
#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, body = AdminUser),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such user"),
    ))]
async fn get_user(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AdminUser>> {
    let user_id: Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let row = state
        .users
        .user(user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut user = AdminUser::from_row(row)?;
    let backends = state.storage_reads.backends(user_id).await?;
    user.storage_backends = Some(backends.into_iter().map(Into::into).collect());
    Ok(Json(user))
}

/// Change an account's role and/or deactivate or reactivate it. Deactivation ends its sessions
/// at once. Admins cannot demote or deactivate themselves.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = PatchUserRequest,
    responses(
        (status = 200, body = AdminUser),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such user"),
        (status = 409, description = "`cannot_modify_self`"),
    ))]
async fn patch_user(
    State(state): State<AppState>,
    Admin(who): Admin,
    client: ClientInfo,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PatchUserRequest>,
) -> ApiResult<impl IntoResponse> {
    let user_id: UserId = id.parse().map_err(|_| ApiError::not_found())?;
    let ctx = command_ctx(&state, &client, who.actor());
    let (user, position) = admin::patch_user(
        &ctx,
        user_id,
        PatchUser {
            role: req.role.map(Role::from),
            is_active: req.is_active,
        },
    )
    .await?;
    if let Some(auth) = AuthState::of(&user) {
        state.identity.cache.put_from_command(auth, position);
    }
    let view = AdminUser::from_state(&user).ok_or_else(ApiError::not_found)?;
    Ok((ConsistencyToken(position), Json(view)))
}
