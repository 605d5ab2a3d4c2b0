//! `POST /api/admin/users/{id}/erase`: the right to be forgotten. The command
//! (`commands::erasure::erase_user`) deactivates the account, purges its blobs, destroys its data
//! key (crypto-shredding) and appends `UserErased`; projections drop or anonymise the account's
//! rows. The log itself stays intact and verifiable. The route checks the request, refreshes the
//! auth cache and maps the errors.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use commands::erasure::{self, ErasureDeps};
use commands::identity::AuthState;
use domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::auth::command_ctx;
use crate::auth::{Admin, ClientInfo};
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(erase_user))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EraseRequest {
    /// Why (e.g. a ticket reference), 1–500 characters. Recorded in the log in plain text, so
    /// it must not contain personal data.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EraseResult {
    pub user_id: Uuid,
    /// Documents whose stored bytes were purged (0 on a repeated erasure).
    pub blobs_purged: u64,
    pub erased_at: DateTime<Utc>,
}

/// Erase an account for good (admins; not themselves). Safe to repeat: a retried erasure
/// finishes whatever a failed one left undone.
#[utoipa::path(post, path = "/api/admin/users/{id}/erase", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = EraseRequest,
    responses(
        (status = 200, body = EraseResult),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such user"),
        (status = 409, description = "`cannot_modify_self`"),
        (status = 422, description = "Missing or overlong reason"),
    ))]
async fn erase_user(
    State(state): State<AppState>,
    Admin(who): Admin,
    client: ClientInfo,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<EraseRequest>,
) -> ApiResult<(ConsistencyToken, Json<EraseResult>)> {
    let user_id: UserId = id.parse().map_err(|_| ApiError::not_found())?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::validation("reason must be 1–500 characters."));
    }
    let ctx = command_ctx(&state, &client, who.actor());
    let deps = ErasureDeps {
        documents: &state.documents.services,
        owned: state.owned_documents.as_ref(),
        keys: state.keys.as_ref(),
        credentials: state.storage.as_ref().map(|s| s.vault.as_ref()),
    };
    // Sessions end as soon as the account is inactive, even if a later step fails.
    let erased = erasure::erase_user(&ctx, deps, user_id, reason, |user| {
        if let Some(auth) = AuthState::of(user) {
            state.identity.cache.put_from_command(auth, None);
        }
    })
    .await?;
    if let Some(auth) = AuthState::of(&erased.user) {
        state.identity.cache.put_from_command(auth, erased.position);
    }
    let purged = erased.blobs_purged;
    tracing::info!(user = %user_id.0, admin = %who.id.0, purged, "account erased");
    Ok((
        ConsistencyToken(erased.position),
        Json(EraseResult {
            user_id: user_id.0,
            blobs_purged: purged,
            erased_at: erased.erased_at,
        }),
    ))
}
