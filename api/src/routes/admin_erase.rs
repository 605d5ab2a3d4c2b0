//! `POST /api/admin/users/{id}/erase`: the right to be forgotten. Deactivates the account, purges
//! its blobs, destroys its data key (crypto-shredding) and appends `UserErased`; projections drop
//! or anonymise the account's rows. The log itself stays intact and verifiable.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use commands::documents::manage;
use commands::identity::admin::{self, PatchUser};
use commands::identity::AuthState;
use domain::blob::ObjectKey;
use domain::ids::{DocumentId, UserId};
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

/// Every document the account ever owned, from both read models that know owners (the audit
/// index also knows documents whose upload never completed).
async fn owned_documents(state: &AppState, user: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "select id from documents where owner_id = $1 \
         union select document_id from audit_document_owners where owner_id = $1",
    )
    .bind(user)
    .fetch_all(&state.pool)
    .await?)
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
    // 1. Deactivate: sessions end now (a repeat finds it inactive and appends nothing).
    let (user, _) = admin::patch_user(
        &ctx,
        user_id,
        PatchUser {
            role: None,
            is_active: Some(false),
        },
    )
    .await?;
    if let Some(auth) = AuthState::of(&user) {
        state.identity.cache.put_from_command(auth, None);
    }
    // 2. Purge every document the account owned through the ordinary path (trash, then purge:
    //    the aggregate records it, bytes and derived objects go, the quota is released), so no
    //    share can reach it any more. Uploads that never completed only have bytes to delete.
    let svc = &state.documents.services;
    let mut purged = 0;
    for doc in owned_documents(&state, user_id.0).await? {
        let id = DocumentId(doc);
        // Refused for documents that are not active (pending, trashed, gone): nothing to do.
        let _ = manage::trash(&ctx, user_id, id).await;
        if manage::purge(&ctx, svc, user_id, id).await.is_ok() {
            purged += 1;
            continue;
        }
        let key = ObjectKey::document(user_id, id);
        let stored = svc
            .blobs
            .head(&key)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if stored.is_some() {
            svc.blobs
                .delete(&key)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            purged += 1;
        }
    }
    // 3. Crypto-shred: every personal value sealed with this key becomes unreadable.
    state
        .keys
        .destroy(user_id.0)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // 4. Record it; projections drop or anonymise the account's rows.
    let (user, position) = admin::record_erasure(&ctx, user_id, reason).await?;
    if let Some(auth) = AuthState::of(&user) {
        state.identity.cache.put_from_command(auth, position);
    }
    tracing::info!(user = %user_id.0, admin = %who.id.0, purged, "account erased");
    Ok((
        ConsistencyToken(position),
        Json(EraseResult {
            user_id: user_id.0,
            blobs_purged: purged,
            erased_at: user.not_before.unwrap_or_else(|| state.clock.now()),
        }),
    ))
}
