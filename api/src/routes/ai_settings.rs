//! Classifier settings: the admin's system default (`/api/admin/settings/classifier`) and each
//! user's choice (`/api/settings/classifier`: the default, or the built-in classifier only, so
//! their documents never leave the server). API keys are write-only: never answered, never
//! logged (a `SecretString` from the request on), stored encrypted in the log.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use commands::ai_settings::{current, handle, SYSTEM};
use commands::Role;
use domain::ai_settings::{
    ClassifierSettings, KeyChange, ProviderChoice, ProviderKind, SettingsCommand, SettingsError,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{Admin, CurrentUser};
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_system, put_system))
        .routes(routes!(get_own, put_own))
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(why) => ApiError::bad_request("invalid_settings", why),
        }
    }
}

/// The system default classifier (the key itself is never returned).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SystemClassifierDto {
    /// `builtin`, `openai` (any OpenAI-compatible endpoint) or `ollama` (native API).
    pub provider: String,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub timeout_secs: u32,
    pub api_key_set: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct SystemClassifierRequest {
    /// `builtin`, `openai` or `ollama`.
    #[schema(value_type = String)]
    pub provider: ProviderKind,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// Default 30.
    #[serde(default)]
    pub timeout_secs: Option<u32>,
    /// Absent: keep the stored key.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub api_key: Option<SecretString>,
    #[serde(default)]
    pub remove_api_key: bool,
}

/// A user's choice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserClassifierDto {
    /// `default` (the system's provider) or `builtin` (never send documents to a remote model).
    pub provider: String,
    /// What the system default is (`builtin`, `openai`, `ollama`) and its model.
    pub system_provider: String,
    pub system_model: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserClassifierRequest {
    /// `default` or `builtin`.
    pub provider: String,
}

const DEFAULT_TIMEOUT_SECS: u32 = 30;

fn system_dto(s: &ClassifierSettings) -> SystemClassifierDto {
    match &s.choice {
        Some(c) => SystemClassifierDto {
            provider: c.kind.as_str().into(),
            base_url: c.base_url.clone(),
            model: c.model.clone(),
            timeout_secs: c.timeout_secs,
            api_key_set: s.api_key.is_some(),
        },
        None => SystemClassifierDto {
            provider: "builtin".into(),
            base_url: None,
            model: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            api_key_set: s.api_key.is_some(),
        },
    }
}

#[utoipa::path(get, path = "/api/admin/settings/classifier", tag = "topics",
    responses((status = 200, body = SystemClassifierDto), (status = 403)), security(("bearer" = [])))]
async fn get_system(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> ApiResult<Json<SystemClassifierDto>> {
    let ctx = command_context(&state, admin.0.id, Role::Admin, &headers);
    Ok(Json(system_dto(&current(&ctx, SYSTEM).await?)))
}

/// Set the system default classifier; applies to the next document processed.
#[utoipa::path(put, path = "/api/admin/settings/classifier", tag = "topics",
    request_body = SystemClassifierRequest,
    responses((status = 200, body = SystemClassifierDto), (status = 400), (status = 403)),
    security(("bearer" = [])))]
async fn put_system(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SystemClassifierRequest>,
) -> ApiResult<(ConsistencyToken, Json<SystemClassifierDto>)> {
    let ctx = command_context(&state, admin.0.id, Role::Admin, &headers);
    let key = match (&body.api_key, body.remove_api_key) {
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "invalid_settings",
                "Give api_key or remove_api_key, not both.",
            ))
        }
        (Some(k), false) => KeyChange::Set(k.expose_secret().to_owned()),
        (None, true) => KeyChange::Remove,
        (None, false) => KeyChange::Keep,
    };
    let command = SettingsCommand::Configure {
        choice: ProviderChoice {
            kind: body.provider,
            base_url: body.base_url,
            model: body.model,
            timeout_secs: body.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
        },
        key,
    };
    let done = handle(&ctx, SYSTEM, command).await?;
    Ok((
        ConsistencyToken(done.position),
        Json(system_dto(&done.state)),
    ))
}

async fn user_dto(
    ctx: &commands::CommandContext,
    user: uuid::Uuid,
) -> ApiResult<UserClassifierDto> {
    let own = current(ctx, user).await?;
    let system = current(ctx, SYSTEM).await?;
    let opted_out = own.choice.is_some_and(|c| c.kind == ProviderKind::Builtin);
    let sys = system_dto(&system);
    Ok(UserClassifierDto {
        provider: if opted_out { "builtin" } else { "default" }.into(),
        system_provider: sys.provider,
        system_model: sys.model,
    })
}

#[utoipa::path(get, path = "/api/settings/classifier", tag = "topics",
    responses((status = 200, body = UserClassifierDto)), security(("bearer" = [])))]
async fn get_own(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> ApiResult<Json<UserClassifierDto>> {
    let ctx = command_context(&state, user.id(), user.role(), &headers);
    Ok(Json(user_dto(&ctx, user.id().as_uuid()).await?))
}

/// Choose the system default or the built-in classifier for the caller's own documents.
#[utoipa::path(put, path = "/api/settings/classifier", tag = "topics",
    request_body = UserClassifierRequest,
    responses((status = 200, body = UserClassifierDto), (status = 400)), security(("bearer" = [])))]
async fn put_own(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UserClassifierRequest>,
) -> ApiResult<(ConsistencyToken, Json<UserClassifierDto>)> {
    let ctx = command_context(&state, user.id(), user.role(), &headers);
    let command = match body.provider.as_str() {
        "default" => SettingsCommand::Reset,
        "builtin" => SettingsCommand::Configure {
            choice: ProviderChoice {
                kind: ProviderKind::Builtin,
                base_url: None,
                model: None,
                timeout_secs: DEFAULT_TIMEOUT_SECS,
            },
            key: KeyChange::Keep,
        },
        _ => {
            return Err(ApiError::bad_request(
                "invalid_settings",
                "provider must be `default` or `builtin`.",
            ))
        }
    };
    let done = handle(&ctx, user.id().as_uuid(), command).await?;
    Ok((
        ConsistencyToken(done.position),
        Json(user_dto(&ctx, user.id().as_uuid()).await?),
    ))
}
