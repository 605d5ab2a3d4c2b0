//! Password change: needs the current password; ends every session of the account.

use domain::ids::UserId;
use domain::user::{decide, Email, Handle, Password, User};

use super::auth_state::AuthState;
use super::deps::IdentityDeps;
use super::error::{reject, IdentityError, IdentityResult};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load};

pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password, revokes every refresh family and moves the user's `not_before`, so
/// access tokens issued before the change stop working.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn change_password(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    user_id: UserId,
    cmd: ChangePassword,
) -> IdentityResult<(AuthState, Option<u64>)> {
    let loaded = load::<User>(ctx, user_id.0).await?;
    let state = &loaded.state;
    let (Some(email), Some(current_hash)) = (
        state.email.as_ref().and_then(|e| e.value()),
        state
            .password_hash
            .as_ref()
            .and_then(|h| h.value())
            .cloned(),
    ) else {
        return Err(CommandError::NotFound);
    };
    let current_ok = deps
        .hasher
        .verify(
            &Password::presented(&cmd.current_password),
            Some(&current_hash),
        )
        .await?;
    if !current_ok {
        return reject(IdentityError::WrongPassword);
    }
    let (email, handle) = (
        Email::parse(email).map_err(IdentityError::from)?,
        Handle::parse(&state.handle).map_err(IdentityError::from)?,
    );
    let new = match Password::new_for(&cmd.new_password, &handle, &email) {
        Ok(p) => p,
        Err(problem) => return reject(problem),
    };
    if let Err(problem) = deps.screen.screen(&new).await {
        return reject(problem);
    }
    let new_hash = deps.hasher.hash(&new).await?;
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        let same_hash = state.password_hash.as_ref().and_then(|h| h.value()) == Some(&current_hash);
        let events = decide::change_password(
            state,
            decide::ChangePassword {
                current_ok: same_hash,
                new_hash: new_hash.clone(),
                now,
            },
        )?;
        Ok((events, ()))
    })
    .await?;
    let auth = AuthState::of(&executed.state).ok_or(CommandError::NotFound)?;
    Ok((auth, executed.position))
}
