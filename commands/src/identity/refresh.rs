//! Refresh-token rotation and logout. The token names its user, so the handler folds that user's
//! stream (the source of truth, never a lagging read model) and decides there.

use domain::ids::UserId;
use domain::user::decide::{self, RefreshOutcome};
use domain::user::{Role, User};

use super::error::{reject, IdentityError, IdentityResult};
use super::login::Session;
use super::secrets::{digest, mint_refresh_token, refresh_token_user};
use crate::context::CommandContext;
use crate::executor::execute;

/// Exchanges a refresh token for a new one of the same family. A token that was already rotated
/// revokes its family (and is refused); so does the loser of two concurrent refreshes.
#[tracing::instrument(skip_all)]
pub async fn refresh(ctx: &CommandContext, token: &str) -> IdentityResult<Session> {
    let Some(user_id) = refresh_token_user(token) else {
        return reject(IdentityError::InvalidRefreshToken);
    };
    let presented = digest(token);
    let minted = mint_refresh_token(user_id);
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        Ok(decide::refresh(
            state,
            decide::Refresh {
                presented_hash: presented.clone(),
                new_hash: minted.digest.clone(),
                now,
            },
        ))
    })
    .await?;
    match executed.output {
        RefreshOutcome::Rotated {
            family_id,
            expires_at,
        } => Ok(Session {
            user_id,
            role: executed.state.role.unwrap_or(Role::User),
            family_id,
            refresh_token: minted.token,
            refresh_expires_at: expires_at,
            issued_at: executed.state.token_issued_at(now),
            position: executed.position,
        }),
        RefreshOutcome::Reused => {
            tracing::warn!(%user_id, "refresh token reuse detected; family revoked");
            reject(IdentityError::InvalidRefreshToken)
        }
        RefreshOutcome::Invalid | RefreshOutcome::Expired => {
            reject(IdentityError::InvalidRefreshToken)
        }
    }
}

/// Revokes the family of `token`. Unknown or malformed tokens are accepted silently: logout is
/// idempotent and says nothing about what it was given. Returns the consistency token.
#[tracing::instrument(skip_all)]
pub async fn logout(ctx: &CommandContext, token: &str) -> IdentityResult<Option<u64>> {
    let Some(user_id) = refresh_token_user(token) else {
        return Ok(None);
    };
    let presented = digest(token);
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        Ok((decide::logout(state, &presented), ()))
    })
    .await?;
    Ok(executed.position)
}

/// Revokes every refresh family of `user_id` ("sign out everywhere"). Returns the consistency
/// token (`None` when there was nothing to revoke).
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn logout_everywhere(
    ctx: &CommandContext,
    user_id: UserId,
) -> IdentityResult<Option<u64>> {
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        Ok((decide::logout_everywhere(state), ()))
    })
    .await?;
    Ok(executed.position)
}
