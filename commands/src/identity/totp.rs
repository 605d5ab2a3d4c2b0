//! TOTP enrolment, confirmation (which hands out the recovery codes) and disabling.

use domain::ids::UserId;
use domain::user::{decide, Password, User};

use super::deps::IdentityDeps;
use super::error::{reject, IdentityError, IdentityResult};
use super::factor::second_factor;
use super::secrets::{recovery_codes, recovery_digest};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load};

pub struct Enrolment {
    /// Base32; shown once so the user can type it into an app that cannot scan.
    pub secret: String,
    pub otpauth_uri: String,
    pub position: Option<u64>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

/// Generates a new pending secret (replacing an unconfirmed one). TOTP stays off until a code
/// from it is confirmed.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn enroll(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    user_id: UserId,
) -> IdentityResult<Enrolment> {
    let secret = deps.totp.new_secret();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        Ok((decide::enroll_totp(state, secret.clone())?, ()))
    })
    .await?;
    let account = executed.state.handle.clone();
    Ok(Enrolment {
        otpauth_uri: deps.totp.provisioning_uri(&secret, &account),
        secret,
        position: executed.position,
    })
}

/// Turns TOTP on with a code from the pending secret; returns the ten recovery codes (only their
/// digests are stored, so this is the one time they can be shown).
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn confirm(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    user_id: UserId,
    code: &str,
) -> IdentityResult<(Vec<String>, Option<u64>)> {
    let codes = recovery_codes();
    let digests: Vec<String> = codes.iter().map(|c| recovery_digest(c)).collect();
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        let step = state
            .totp
            .pending_secret
            .as_ref()
            .and_then(|s| s.value())
            .and_then(|secret| deps.totp.matching_step(secret, code.trim(), now));
        Ok((decide::confirm_totp(state, step, digests.clone())?, ()))
    })
    .await?;
    Ok((codes, executed.position))
}

/// Turns TOTP off; needs the password and a code (or an unused recovery code).
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn disable(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    user_id: UserId,
    password: &str,
    code: &str,
) -> IdentityResult<Option<u64>> {
    let loaded = load::<User>(ctx, user_id.0).await?;
    let Some(hash) = loaded
        .state
        .password_hash
        .as_ref()
        .and_then(|h| h.value())
        .cloned()
    else {
        return Err(CommandError::NotFound);
    };
    if !loaded.state.totp.enabled() {
        return reject(IdentityError::TotpNotEnabled);
    }
    let password_ok = deps
        .hasher
        .verify(&Password::presented(password), Some(&hash))
        .await?;
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        let same_hash = state.password_hash.as_ref().and_then(|h| h.value()) == Some(&hash);
        let factor = second_factor(deps.totp.as_ref(), &state.totp, Some(code), now);
        Ok((
            decide::disable_totp(state, password_ok && same_hash, factor)?,
            (),
        ))
    })
    .await?;
    Ok(executed.position)
}
