//! Registration (self-service, by an admin, or by the bootstrap): validate, screen and hash the
//! password, claim the email and the handle, then open the user's stream.

use domain::ids::UserId;
use domain::user::reservation::{self, EmailReservation, HandleReservation, Taken};
use domain::user::{decide, Email, Handle, Password, Role, User};

use super::deps::IdentityDeps;
use super::error::{reject, IdentityError, IdentityResult};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::execute;

pub struct RegisterUser {
    pub email: String,
    pub handle: String,
    pub password: String,
    pub role: Role,
}

impl std::fmt::Debug for RegisterUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterUser")
            .field("handle", &self.handle)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub user_id: UserId,
    pub email: Email,
    pub handle: Handle,
    pub role: Role,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The consistency token.
    pub position: Option<u64>,
}

/// Registers a user. Who may choose the role is the caller's business: the self-service route
/// always passes `Role::User`, the admin route and the bootstrap pass what the admin asked for.
#[tracing::instrument(skip_all, fields(handle = %cmd.handle))]
pub async fn register(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    cmd: RegisterUser,
) -> IdentityResult<Registered> {
    let email = Email::parse(&cmd.email).map_err(IdentityError::from)?;
    let handle = Handle::parse(&cmd.handle).map_err(IdentityError::from)?;
    let password = match Password::new_for(&cmd.password, &handle, &email) {
        Ok(p) => p,
        Err(problem) => return reject(problem),
    };
    if let Err(problem) = deps.screen.screen(&password).await {
        return reject(problem);
    }
    // Hash before claiming anything: an overloaded hasher then leaves no reservation behind.
    let password_hash = deps.hasher.hash(&password).await?;
    let user_id = UserId::new();

    let email_stream = deps.index.email(&email);
    claim::<domain::user::reservation::EmailKind>(ctx, email_stream, user_id)
        .await
        .map_err(|e| e.map_domain(|Taken| IdentityError::EmailTaken))?;
    let handle_stream = deps.index.handle(&handle);
    if let Err(e) =
        claim::<domain::user::reservation::HandleKind>(ctx, handle_stream, user_id).await
    {
        release::<domain::user::reservation::EmailKind>(ctx, email_stream, user_id).await;
        return Err(e.map_domain(|Taken| IdentityError::HandleTaken));
    }

    let at = ctx.clock.now();
    let executed = execute::<User, _, IdentityError, _>(ctx, user_id.0, Some(user_id.0), |state| {
        let events = decide::register(
            state,
            decide::Register {
                user_id,
                email: email.clone(),
                handle: handle.clone(),
                role: cmd.role,
                password_hash: password_hash.clone(),
                at,
            },
        )?;
        Ok((events, ()))
    })
    .await;
    match executed {
        Ok(done) => Ok(Registered {
            user_id,
            email,
            handle,
            role: cmd.role,
            created_at: at,
            position: done.position,
        }),
        Err(e) => {
            release::<domain::user::reservation::HandleKind>(ctx, handle_stream, user_id).await;
            release::<domain::user::reservation::EmailKind>(ctx, email_stream, user_id).await;
            Err(e)
        }
    }
}

async fn claim<K: reservation::ReservationKind>(
    ctx: &CommandContext,
    stream: uuid::Uuid,
    user_id: UserId,
) -> Result<(), CommandError<Taken>> {
    execute::<reservation::Reservation<K>, _, Taken, _>(ctx, stream, None, |state| {
        Ok((reservation::reserve(state, user_id)?, ()))
    })
    .await
    .map(|_| ())
}

/// Best effort: a reservation left behind by a crash only blocks that email or handle until an
/// operator releases it; it never lets two accounts share one.
async fn release<K: reservation::ReservationKind>(
    ctx: &CommandContext,
    stream: uuid::Uuid,
    user_id: UserId,
) {
    let released =
        execute::<reservation::Reservation<K>, _, Taken, _>(ctx, stream, None, |state| {
            Ok((reservation::release(state, user_id), ()))
        })
        .await;
    if let Err(e) = released {
        tracing::warn!(category = K::CATEGORY, error = %e, "could not release a reservation");
    }
}

/// The holder of an email address, read from its reservation stream (never from a read model,
/// which could lag behind a registration that just happened).
pub async fn user_by_email(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    email: &Email,
) -> Result<Option<UserId>, domain::ports::StoreError> {
    let loaded = crate::executor::load::<EmailReservation>(ctx, deps.index.email(email)).await?;
    Ok(loaded.state.holder)
}

/// The holder of a handle, read from its reservation stream.
pub async fn user_by_handle(
    ctx: &CommandContext,
    deps: &IdentityDeps,
    handle: &Handle,
) -> Result<Option<UserId>, domain::ports::StoreError> {
    let loaded = crate::executor::load::<HandleReservation>(ctx, deps.index.handle(handle)).await?;
    Ok(loaded.state.holder)
}
