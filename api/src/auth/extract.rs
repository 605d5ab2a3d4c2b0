//! The authentication extractors. Each protected handler takes the one it needs:
//! - `Authenticated`: any signed-in account (the account's own routes: me, password, TOTP);
//! - `CurrentUser`: a user or admin (everything about documents; auditors get 403, as their role
//!   is the audit log and nothing else);
//! - `Admin`: admins only;
//! - `Auditor`: the audit log's readers (auditors and admins).
//!
//! A token must be a valid HS256 access token, and its user must still be active with no
//! password change (or deactivation) after the token was issued.

use super::AccessClaims;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use commands::identity::AuthState;
use commands::{Actor, CommandContext};
use domain::ids::UserId;
use domain::user::Role;

use super::errors::unauthenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// A signed-in account of any role.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub id: UserId,
    /// The current role (from the server, not from the token).
    pub role: Role,
    pub claims: AccessClaims,
}

impl Authenticated {
    /// The command actor for this caller.
    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.id.0,
            role: self.role,
        }
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(done) = parts.extensions.get::<Authenticated>() {
            return Ok(done.clone());
        }
        let token = bearer(parts)?;
        let claims = state.identity.jwt.verify(token, state.clock.now())?;
        let user = UserId(claims.sub);
        let auth = auth_state(state, user).await?;
        let Some(auth) = auth.filter(|a| a.accepts_token_issued_at(claims.iat)) else {
            return Err(unauthenticated(
                "token_revoked",
                "This session has ended (password changed or account deactivated); sign in again.",
                Some("invalid_token"),
            ));
        };
        let me = Authenticated {
            id: user,
            role: auth.role,
            claims,
        };
        parts.extensions.insert(me.clone());
        Ok(me)
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || {
        unauthenticated(
            "unauthenticated",
            "Send `Authorization: Bearer <access token>`.",
            None,
        )
    };
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}

/// The user's auth facts: the cache, else the `users` read model, else (a user the read model
/// has not seen yet, e.g. just registered) the user's own stream.
async fn auth_state(state: &AppState, user: UserId) -> Result<Option<AuthState>, ApiError> {
    let identity = &state.identity;
    if let Some(hit) = identity.cache.get(user) {
        return Ok(Some(hit));
    }
    if let Some(facts) = state.users.auth_facts(user.0).await? {
        let loaded = AuthState {
            user_id: user,
            role: facts.role.parse().map_err(ApiError::internal)?,
            active: facts.is_active,
            not_before: facts.not_before,
        };
        return Ok(Some(identity.cache.put_loaded(loaded, facts.last_position)));
    }
    let ctx = CommandContext::system(state.store.clone(), state.clock.clone());
    let folded = commands::identity::auth_state(&ctx, user).await?;
    if let Some(s) = folded {
        identity.cache.put_from_command(s, None);
    }
    Ok(folded)
}

/// A user or admin: the extractor for everything except the account's own routes and the audit
/// log. Auditors are refused.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl CurrentUser {
    pub fn id(&self) -> UserId {
        self.0.id
    }
    pub fn role(&self) -> Role {
        self.0.role
    }
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let me = Authenticated::from_request_parts(parts, state).await?;
        match me.role {
            Role::User | Role::Admin => Ok(CurrentUser(me)),
            Role::Auditor => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Auditors have read-only access to the audit log only.",
            )),
        }
    }
}

/// An admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Authenticated);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let me = Authenticated::from_request_parts(parts, state).await?;
        if me.role == Role::Admin {
            Ok(Admin(me))
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// A reader of the audit log: an auditor, or an admin.
#[derive(Debug, Clone)]
pub struct Auditor(pub Authenticated);

impl FromRequestParts<AppState> for Auditor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let me = Authenticated::from_request_parts(parts, state).await?;
        if matches!(me.role, Role::Auditor | Role::Admin) {
            Ok(Auditor(me))
        } else {
            Err(ApiError::forbidden())
        }
    }
}
