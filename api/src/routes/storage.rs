//! `/api/storage-backends`: the caller's cloud storage backends — list, connect a WebDAV or
//! Nextcloud account (checked before anything is stored), rename or make default, disconnect.
//! No answer ever carries a credential; someone else's backend is as missing as a nonexistent
//! one (404).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use commands::storage::{self as cmd, Connection, Credentials, StorageDeps};
use domain::ids::{StorageBackendId, UserId};
use domain::storage::BackendKind;
use projections::storage::BackendRow;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::intelligence::caught_up;
use crate::json::ApiJson;
use crate::state::{command_context, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, connect))
        .routes(routes!(get_one, patch, disconnect))
        .routes(routes!(browse))
        .routes(routes!(replace_credentials))
}

/// One backend, as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackendDto {
    pub id: Uuid,
    /// `webdav`, `nextcloud`, `onedrive` or `gdrive`.
    pub kind: String,
    pub display_name: Option<String>,
    pub endpoint_host: Option<String>,
    pub is_default: bool,
    /// `ok`, `needs_reauth` or `unreachable`.
    pub status: String,
    pub documents_count: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

impl From<BackendRow> for BackendDto {
    fn from(r: BackendRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            display_name: r.display_name,
            endpoint_host: r.endpoint_host,
            is_default: r.is_default,
            status: r.status,
            documents_count: r.documents_count,
            bytes: r.bytes,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackendList {
    pub items: Vec<BackendDto>,
}

/// A WebDAV or Nextcloud account to connect. The password is write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// `webdav` or `nextcloud` (OneDrive and Google Drive connect through OAuth).
    pub kind: String,
    pub display_name: String,
    /// The collection to use, e.g. `https://cloud.example.org/remote.php/dav/files/ann/`.
    pub url: String,
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    pub display_name: Option<String>,
    /// `true`: new uploads go here; `false`: back to DocuVault's own store (when this was it).
    pub is_default: Option<bool>,
}

fn deps(state: &AppState) -> ApiResult<&StorageDeps> {
    state.storage.as_ref().ok_or_else(|| {
        ApiError::unavailable(
            "cloud_storage_disabled",
            "Cloud storage backends are not configured on this server \
             (DOCUVAULT_CLOUD_CREDS_KEY is not set).",
        )
    })
}

/// The backend as the read model has it once the projections caught up with `position`.
async fn read_back(
    state: &AppState,
    owner: UserId,
    id: Uuid,
    position: Option<u64>,
) -> ApiResult<BackendDto> {
    caught_up(state, position).await;
    state
        .storage_reads
        .backend(owner.as_uuid(), id)
        .await?
        .map(BackendDto::from)
        .ok_or_else(|| ApiError::internal("a backend just written is not in the read model"))
}

/// The caller's backends, oldest first.
#[utoipa::path(get, path = "/api/storage-backends", tag = "storage",
    responses((status = 200, body = BackendList)), security(("bearer" = [])))]
async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<BackendList>> {
    let rows = state.storage_reads.backends(user.id().as_uuid()).await?;
    Ok(Json(BackendList {
        items: rows.into_iter().map(BackendDto::from).collect(),
    }))
}

/// Connect a WebDAV or Nextcloud account. The account is checked first (`PROPFIND Depth: 0`,
/// then a write and delete in a `.docuvault` collection); nothing is stored when it fails.
#[utoipa::path(post, path = "/api/storage-backends", tag = "storage", request_body = ConnectRequest,
    responses((status = 201, body = BackendDto),
        (status = 400, description = "`invalid_display_name`, `invalid_kind`"),
        (status = 409, description = "`too_many_backends`"),
        (status = 422, description = "`backend_auth_failed`, `backend_unreachable`, `backend_tls_failed`, `backend_protocol_error`, `backend_url_not_allowed`, `invalid_url`"),
        (status = 503, description = "`cloud_storage_disabled`")),
    security(("bearer" = [])))]
async fn connect(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ConnectRequest>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<BackendDto>)> {
    let kind = match body.kind.as_str() {
        "webdav" => BackendKind::Webdav,
        "nextcloud" => BackendKind::Nextcloud,
        _ => return Err(ApiError::bad_request(
            "invalid_kind",
            "kind is `webdav` or `nextcloud` (OneDrive and Google Drive connect through OAuth).",
        )),
    };
    let deps = deps(&state)?;
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let account = Connection {
        url: body.url,
        credentials: Credentials::Basic {
            username: body.username,
            password: body.password.expose_secret().to_owned(),
        },
    };
    let (id, position) = cmd::connect_webdav(&ctx, deps, kind, &body.display_name, account).await?;
    let dto = read_back(&state, me, id.as_uuid(), position).await?;
    Ok((StatusCode::CREATED, ConsistencyToken(position), Json(dto)))
}

/// One of the caller's backends.
#[utoipa::path(get, path = "/api/storage-backends/{id}", tag = "storage", params(("id" = Uuid, Path)),
    responses((status = 200, body = BackendDto), (status = 404)), security(("bearer" = [])))]
async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BackendDto>> {
    state
        .storage_reads
        .backend(user.id().as_uuid(), id)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(ApiError::not_found)
}

/// Rename, and/or make it (or stop it being) where new uploads go.
#[utoipa::path(patch, path = "/api/storage-backends/{id}", tag = "storage", params(("id" = Uuid, Path)),
    request_body = PatchRequest,
    responses((status = 200, body = BackendDto), (status = 400), (status = 404)),
    security(("bearer" = [])))]
async fn patch(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PatchRequest>,
) -> ApiResult<(ConsistencyToken, Json<BackendDto>)> {
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let position = cmd::patch(
        &ctx,
        StorageBackendId(id),
        body.display_name.as_deref(),
        body.is_default,
    )
    .await?;
    let dto = read_back(&state, me, id, position).await?;
    Ok((ConsistencyToken(position), Json(dto)))
}

/// Disconnect: 409 `backend_in_use` (with `documents_count`) while documents live there.
#[utoipa::path(delete, path = "/api/storage-backends/{id}", tag = "storage", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "`backend_in_use`")),
    security(("bearer" = [])))]
async fn disconnect(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, ConsistencyToken, ())> {
    let deps = deps(&state)?;
    let me = user.id();
    let row = state
        .storage_reads
        .backend(me.as_uuid(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ctx = command_context(&state, me, user.role(), &headers);
    let position = cmd::disconnect(
        &ctx,
        deps,
        StorageBackendId(id),
        row.documents_count.max(0) as u64,
    )
    .await?;
    caught_up(&state, position).await;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(position), ()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BrowseQuery {
    /// Folder names below the backend's folder, `/`-separated; empty for the folder itself.
    #[serde(default)]
    pub path: String,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 200.
    pub limit: Option<usize>,
}

/// One file or folder on the backend.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteEntryDto {
    pub name: String,
    /// Below the backend's folder; folders end in `/`.
    pub path: String,
    /// `file` or `folder`.
    pub kind: &'static str,
    pub size_bytes: Option<u64>,
    pub modified_at: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrowseResult {
    pub path: String,
    pub entries: Vec<RemoteEntryDto>,
    /// Present when there are more entries: pass it as `cursor`.
    pub next_cursor: Option<String>,
}

/// What a folder of the backend holds (folders first, then by name), a page at a time.
#[utoipa::path(get, path = "/api/storage-backends/{id}/browse", tag = "storage",
    params(("id" = Uuid, Path), BrowseQuery),
    responses((status = 200, body = BrowseResult), (status = 404),
        (status = 422, description = "`invalid_url` (the path), `backend_auth_failed`, `backend_unreachable`, `backend_protocol_error`")),
    security(("bearer" = [])))]
async fn browse(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<BrowseQuery>,
) -> ApiResult<Json<BrowseResult>> {
    let deps = deps(&state)?;
    let me = user.id();
    let segments = cmd::browse_path(&q.path)
        .map_err(|e| ApiError::from(cmd::StorageCommandError::Connect(e)))?;
    let limit = q.limit.unwrap_or(200).clamp(1, 500);
    let ctx = command_context(&state, me, user.role(), &headers);
    let entries = cmd::browse(&ctx, deps, StorageBackendId(id), &segments).await?;
    let prefix: String = segments.iter().map(|s| format!("{s}/")).collect();
    // The cursor is the last entry's kind and name: entries are sorted folders first, by name.
    let key = |e: &cmd::RemoteEntry| format!("{}{}", if e.is_folder { "0" } else { "1" }, e.name);
    let start = match &q.cursor {
        Some(c) => entries
            .iter()
            .position(|e| key(e) > *c)
            .unwrap_or(entries.len()),
        None => 0,
    };
    let page: Vec<&cmd::RemoteEntry> = entries.iter().skip(start).take(limit).collect();
    let next_cursor = (start + page.len() < entries.len())
        .then(|| page.last().map(|e| key(e)))
        .flatten();
    Ok(Json(BrowseResult {
        path: format!("/{prefix}"),
        entries: page
            .into_iter()
            .map(|e| RemoteEntryDto {
                name: e.name.clone(),
                path: format!("/{prefix}{}{}", e.name, if e.is_folder { "/" } else { "" }),
                kind: if e.is_folder { "folder" } else { "file" },
                size_bytes: e.size_bytes,
                modified_at: e.modified_at,
                content_type: e.content_type.clone(),
            })
            .collect(),
        next_cursor,
    }))
}

/// New credentials for a WebDAV or Nextcloud backend. The password is write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// Replace a backend's credentials (e.g. after a password change): checked like a new account
/// before they replace the old ones; the status reads `ok` again.
#[utoipa::path(put, path = "/api/storage-backends/{id}/credentials", tag = "storage",
    params(("id" = Uuid, Path)), request_body = CredentialsRequest,
    responses((status = 200, body = BackendDto), (status = 404),
        (status = 422, description = "`backend_auth_failed`, `backend_unreachable`, `backend_tls_failed`, `backend_protocol_error`")),
    security(("bearer" = [])))]
async fn replace_credentials(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CredentialsRequest>,
) -> ApiResult<Json<BackendDto>> {
    let deps = deps(&state)?;
    let me = user.id();
    let ctx = command_context(&state, me, user.role(), &headers);
    let credentials = Credentials::Basic {
        username: body.username,
        password: body.password.expose_secret().to_owned(),
    };
    cmd::replace_credentials(&ctx, deps, StorageBackendId(id), credentials).await?;
    read_back(&state, me, id, None).await.map(Json)
}
