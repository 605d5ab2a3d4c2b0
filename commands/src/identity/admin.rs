//! Admin use cases on accounts: create with a role, change role, (de)activate. The acting admin is
//! the command context's actor, so it lands in every event's metadata.

use domain::ids::UserId;
use domain::user::{decide, Role, User};

use super::deps::IdentityDeps;
use super::error::{reject, IdentityError, IdentityResult};
use super::register::{register, RegisterUser, Registered};
use crate::context::{Actor, CommandContext};
use crate::error::CommandError;
use crate::executor::execute;

/// Only admins (and the system itself, for the bootstrap) manage accounts.
fn ensure_admin(ctx: &CommandContext) -> IdentityResult<Option<UserId>> {
    match ctx.actor {
        Actor::User {
            id,
            role: Role::Admin,
        } => Ok(Some(UserId(id))),
        Actor::System => Ok(None),
        _ => Err(CommandError::Forbidden),
    }
}

/// Creates an account with any role, through the same path as self-registration.
pub async fn create_user(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    cmd: RegisterUser,
) -> IdentityResult<Registered> {
    ensure_admin(ctx)?;
    register(ctx, deps, cmd).await
}

#[derive(Debug, Clone, Default)]
pub struct PatchUser {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Applies a role and/or activity change; returns the account's new state. An admin cannot demote or deactivate themselves, so the
/// last admin cannot lock everyone out by accident.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn patch_user(
    ctx: &CommandContext,
    user_id: UserId,
    patch: PatchUser,
) -> IdentityResult<(User, Option<u64>)> {
    let admin = ensure_admin(ctx)?;
    if admin == Some(user_id)
        && (patch.is_active == Some(false) || patch.role.is_some_and(|r| r != Role::Admin))
    {
        return reject(IdentityError::CannotModifySelf);
    }
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        if !state.is_registered() {
            return Err(IdentityError::InvalidCredentials);
        }
        let mut events = Vec::new();
        if let Some(role) = patch.role {
            events.extend(decide::change_role(state, role)?);
        }
        if let Some(active) = patch.is_active {
            events.extend(decide::set_active(state, active, now)?);
        }
        Ok((events, ()))
    })
    .await
    .map_err(unknown_is_not_found)?;
    Ok((executed.state, executed.position))
}

/// An unknown account id is a 404, like any missing resource.
fn unknown_is_not_found(e: CommandError<IdentityError>) -> CommandError<IdentityError> {
    match e {
        CommandError::Domain(IdentityError::InvalidCredentials) => CommandError::NotFound,
        other => other,
    }
}

/// Records an erasure (`UserErased`) once the caller has deactivated the account, purged its
/// blobs and destroyed its data key. Appended without a data key: the event carries no personal
/// data and the subject's key is already gone. Admins cannot erase themselves.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn record_erasure(
    ctx: &CommandContext,
    user_id: UserId,
    reason: &str,
) -> IdentityResult<(User, Option<u64>)> {
    let admin = ensure_admin(ctx)?;
    if admin == Some(user_id) {
        return reject(IdentityError::CannotModifySelf);
    }
    let now = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, None, |state| {
        if !state.is_registered() {
            return Err(IdentityError::InvalidCredentials);
        }
        Ok((decide::erase(state, reason, now)?, ()))
    })
    .await
    .map_err(unknown_is_not_found)?;
    Ok((executed.state, executed.position))
}
