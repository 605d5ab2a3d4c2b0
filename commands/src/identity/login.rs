//! Login: every attempt is an event. Known accounts record `LoginSucceeded`/`LoginFailed` in their
//! own stream; unknown emails record `LoginFailed` in a keyed `loginattempts-…` stream under a
//! non-user key. Both paths verify a password hash, so they take the same time.

use chrono::{DateTime, Utc};
use domain::event::{ExpectedVersion, NewEvent, StreamId};
use domain::ids::UserId;
use domain::user::attempts::{self, LoginAttempts};
use domain::user::decide::{self, LoginOutcome, NewSession};
use domain::user::{Email, LoginFailure, Password, Role, User};
use domain::Aggregate;
use uuid::Uuid;

use super::deps::IdentityDeps;
use super::error::{IdentityError, IdentityResult};
use super::factor::second_factor;
use super::secrets::{mint_refresh_token, LOGIN_ATTEMPTS_KEY_SUBJECT};
use crate::context::CommandContext;
use crate::executor::{execute, load};

pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A TOTP code, or a recovery code in its place.
    pub totp_code: Option<String>,
}

/// A new or rotated session: what the API turns into an access token and a refresh token.
pub struct Session {
    pub user_id: UserId,
    pub role: Role,
    pub family_id: Uuid,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    /// The `iat` to put into the access token (never before the user's `not_before`).
    pub issued_at: i64,
    pub position: Option<u64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("family_id", &self.family_id)
            .finish_non_exhaustive()
    }
}

/// A refused login. The refusal was recorded as an event; `position` is its consistency token.
#[derive(Debug)]
pub struct LoginFailed {
    pub error: IdentityError,
    /// The consistency token of the recorded failure.
    pub position: Option<u64>,
}

#[tracing::instrument(skip_all)]
pub async fn login(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    req: LoginRequest,
) -> IdentityResult<Result<Session, LoginFailed>> {
    let password = Password::presented(&req.password);
    let Ok(email) = Email::parse(&req.email) else {
        // Not even an address: nothing to record, but the same work and the same answer.
        deps.hasher.verify(&password, None).await?;
        return Ok(Err(LoginFailed {
            error: IdentityError::InvalidCredentials,
            position: None,
        }));
    };
    let Some(user_id) = super::register::user_by_email(ctx, deps, &email).await? else {
        deps.hasher.verify(&password, None).await?;
        let position = record_unknown_account(ctx, deps, &email).await?;
        return Ok(Err(LoginFailed {
            error: IdentityError::InvalidCredentials,
            position,
        }));
    };

    let loaded = load::<User>(ctx, user_id.0).await?;
    let verified_hash = loaded
        .state
        .password_hash
        .as_ref()
        .and_then(|h| h.value())
        .cloned();
    let password_ok = deps
        .hasher
        .verify(&password, verified_hash.as_deref())
        .await?;

    let now = ctx.clock.now();
    let minted = mint_refresh_token(user_id);
    let session = NewSession {
        family_id: Uuid::now_v7(),
        token_hash: minted.digest.clone(),
        issued_at: now,
        expires_at: now + deps.refresh_lifetime,
    };
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        // The verdict holds only for the hash it was computed against: if the password changed
        // in between, this attempt counts as wrong.
        let same_hash =
            state.password_hash.as_ref().and_then(|h| h.value()) == verified_hash.as_ref();
        let factor = second_factor(
            deps.totp.as_ref(),
            &state.totp,
            req.totp_code.as_deref(),
            now,
        );
        Ok(decide::login(
            state,
            decide::Login {
                password_ok: password_ok && same_hash,
                second_factor: factor,
                session: session.clone(),
            },
        )?)
    })
    .await?;

    match executed.output {
        LoginOutcome::Succeeded { family_id } => Ok(Ok(Session {
            user_id,
            role: executed.state.role.unwrap_or(Role::User),
            family_id,
            refresh_token: minted.token,
            refresh_expires_at: session.expires_at,
            issued_at: executed.state.token_issued_at(now),
            position: executed.position,
        })),
        LoginOutcome::Failed(reason) => Ok(Err(LoginFailed {
            error: match reason {
                LoginFailure::TotpRequired => IdentityError::TotpRequired,
                LoginFailure::TotpInvalid | LoginFailure::TotpReplayed => {
                    IdentityError::TotpInvalid
                }
                LoginFailure::Deactivated => IdentityError::Deactivated,
                LoginFailure::BadPassword | LoginFailure::UnknownAccount => {
                    IdentityError::InvalidCredentials
                }
            },
            position: executed.position,
        })),
    }
}

/// Appends `LoginFailed { unknown_account }` (with the encrypted client IP and user agent) to the
/// email's attempt stream. `Any`: concurrent failures need no ordering between them.
async fn record_unknown_account(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    email: &Email,
) -> IdentityResult<Option<u64>> {
    let stream = StreamId::new(LoginAttempts::CATEGORY, deps.index.login_attempts(email));
    let now = ctx.clock.now();
    let events = attempts::unknown_account()
        .iter()
        .map(|e| {
            NewEvent::from_domain(e, ctx.metadata(true), Some(LOGIN_ATTEMPTS_KEY_SUBJECT), now)
        })
        .collect();
    let outcome = ctx
        .store
        .append(&stream, ExpectedVersion::Any, events)
        .await?;
    Ok(Some(outcome.last_position))
}
