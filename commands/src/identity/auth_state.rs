//! The facts an access-token check needs about its user: role, whether active, and the instant
//! before which tokens are void. Handlers that change them return the new value so the API's
//! cache is updated at once (deactivation and password changes cut tokens off immediately).

use chrono::{DateTime, Utc};
use domain::ids::UserId;
use domain::ports::StoreError;
use domain::user::{Role, User};

use crate::context::CommandContext;
use crate::executor::load;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthState {
    pub user_id: UserId,
    pub role: Role,
    pub active: bool,
    pub not_before: Option<DateTime<Utc>>,
}

impl AuthState {
    /// `None` for a state that is not a registered user.
    pub fn of(user: &User) -> Option<Self> {
        Some(Self {
            user_id: user.id?,
            role: user.role?,
            active: user.active,
            not_before: user.not_before,
        })
    }

    /// Whether an access token issued at `iat` (Unix seconds) is still good for this user.
    pub fn accepts_token_issued_at(&self, iat: i64) -> bool {
        self.active && self.not_before.is_none_or(|nb| iat >= nb.timestamp())
    }
}

/// Folds the user's stream: the authoritative (if slower) source when no read model has the
/// user yet, e.g. right after registration.
pub async fn auth_state(
    ctx: &CommandContext,
    user_id: UserId,
) -> Result<Option<AuthState>, StoreError> {
    let loaded = load::<User>(ctx, user_id.0).await?;
    Ok(AuthState::of(&loaded.state))
}
