//! `users`: accounts, refresh-token families and login history, folded from the `user-…` and
//! `loginattempts-…` streams. One statement per event: identity events are few, and each is an
//! idempotent upsert or a set-to-value update, so replaying a batch changes nothing.
//! What the API asks of the `users` table is the [`query`] port beside it.

pub mod query;

use async_trait::async_trait;
use domain::user::attempts::LoginAttemptEvent;
use domain::user::{LoginFailure, UserEvent};
use domain::{Aggregate, Personal, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{Projection, ProjectionError};

#[derive(Debug, Default, Clone, Copy)]
pub struct Users;

impl Users {
    pub const NAME: &'static str = "users";
}

/// The enum's serde name (`bad_password`, `password_and_totp`, …) for the read table.
fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn plain(p: &Option<Personal<String>>) -> Option<String> {
    p.as_ref().and_then(|v| v.value().cloned())
}

#[async_trait]
impl Projection for Users {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["users", "refresh_token_families", "login_history"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for e in events {
            match e.stream_id.category() {
                c if c == domain::user::User::CATEGORY => apply_user(conn, e).await?,
                c if c == domain::user::attempts::LoginAttempts::CATEGORY => {
                    let event: LoginAttemptEvent =
                        e.decode().map_err(|err| ProjectionError::decode(e, err))?;
                    match event {
                        LoginAttemptEvent::LoginFailed { reason } => {
                            login(conn, e, None, false, Some(reason), None).await?
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `update users set $assignment` plus the position bookkeeping, as one compile-checked literal.
macro_rules! set_user {
    ($conn:expr, $user_id:expr, $position:expr, $assignment:literal) => {
        sqlx::query!(
            "update users set "
                + $assignment
                + ", last_position = greatest(last_position, $2) where id = $1",
            $user_id,
            $position
        )
        .execute(&mut *$conn)
        .await
        .map(drop)
    };
}

async fn apply_user(conn: &mut PgConnection, e: &RecordedEvent) -> Result<(), ProjectionError> {
    let user_id = e
        .stream_id
        .id()
        .ok_or_else(|| ProjectionError::handler(e, "user stream id is not a uuid"))?;
    let event: UserEvent = e.decode().map_err(|err| ProjectionError::decode(e, err))?;
    let position = e.global_position as i64;
    match event {
        UserEvent::UserRegistered {
            email,
            handle,
            role,
            registered_at,
            ..
        } => {
            sqlx::query!(
"insert into users (id, email, handle, role, is_active, totp_enabled, created_at, last_position) \
                 values ($1, $2, $3, $4, true, false, $5, $6) on conflict (id) do nothing",
user_id,
email.into_value(),
handle,
role.as_str(),
registered_at,
position
)
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::LoginSucceeded { method, .. } => {
            login(conn, e, Some(user_id), true, None, Some(name_of(&method))).await?;
        }
        UserEvent::LoginFailed { reason } => {
            login(conn, e, Some(user_id), false, Some(reason), None).await?;
        }
        UserEvent::TotpEnabled { .. } => set_user!(conn, user_id, position, "totp_enabled = true")?,
        UserEvent::TotpDisabled { .. } => {
            set_user!(conn, user_id, position, "totp_enabled = false")?
        }
        ref ev @ (UserEvent::PasswordChanged { not_before, .. }
        | UserEvent::UserDeactivated { not_before }
        | UserEvent::SignedOutEverywhere { not_before }) => {
            let deactivate = matches!(ev, UserEvent::UserDeactivated { .. });
            sqlx::query!(
                "update users set not_before = greatest(not_before, $2), \
                 is_active = is_active and not $3, last_position = greatest(last_position, $4) \
                 where id = $1",
                user_id,
                not_before,
                deactivate,
                position
            )
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::UserReactivated {} => set_user!(conn, user_id, position, "is_active = true")?,
        UserEvent::RoleChanged { to, .. } => {
            sqlx::query!(
"update users set role = $2, last_position = greatest(last_position, $3) where id = $1",
user_id,
to.as_str(),
position
)
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::RefreshTokenIssued {
            family_id,
            issued_at,
            expires_at,
            ..
        } => {
            sqlx::query!(
                "insert into refresh_token_families (id, user_id, issued_at, expires_at) \
                 values ($1, $2, $3, $4) on conflict (id) do nothing",
                family_id,
                user_id,
                issued_at,
                expires_at
            )
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::RefreshTokenRotated { family_id, .. } => {
            // Idempotent: a replayed rotation finds `last_rotated_at` already at this instant.
            sqlx::query!(
"update refresh_token_families set rotations = rotations + 1, last_rotated_at = $2 \
                 where id = $1 and (last_rotated_at is null or last_rotated_at < $2)",
family_id,
e.recorded_at
)
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::RefreshTokenRevoked { family_id, reason } => {
            sqlx::query!(
                "update refresh_token_families set revoked_at = coalesce(revoked_at, $2), \
                 revoke_reason = coalesce(revoke_reason, $3) where id = $1",
                family_id,
                e.recorded_at,
                name_of(&reason)
            )
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::RefreshTokenReuseDetected { family_id } => {
            sqlx::query!(
"update refresh_token_families set reuse_detected_at = coalesce(reuse_detected_at, $2) \
                 where id = $1",
family_id,
e.recorded_at
)
            .execute(&mut *conn)
            .await?;
        }
        UserEvent::UserErased { erased_at, .. } => {
            // Anonymise: the email is gone with the key (a rebuild would read it as erased too),
            // and so are the addresses and user agents of the account's logins.
            sqlx::query!(
"update users set email = null, is_active = false, totp_enabled = false, \
                 not_before = greatest(not_before, $2), last_position = greatest(last_position, $3) \
                 where id = $1",
user_id,
erased_at,
position
)
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "update login_history set client_ip = null, user_agent = null where user_id = $1",
                user_id
            )
            .execute(&mut *conn)
            .await?;
        }
        // Nothing in the read models depends on these.
        UserEvent::TotpEnrolled { .. } | UserEvent::RecoveryCodeUsed { .. } => {}
        // Storage backends have a read model of their own (`projections::storage`).
        UserEvent::StorageBackendConnected { .. }
        | UserEvent::StorageBackendRenamed { .. }
        | UserEvent::DefaultStorageBackendChanged { .. }
        | UserEvent::StorageBackendDisconnected { .. } => {}
    }
    Ok(())
}

async fn login(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    user_id: Option<Uuid>,
    succeeded: bool,
    reason: Option<LoginFailure>,
    method: Option<String>,
) -> Result<(), ProjectionError> {
    sqlx::query!(
"insert into login_history (event_id, user_id, occurred_at, succeeded, reason, method, client_ip, user_agent) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (event_id) do nothing",
e.event_id,
user_id,
e.recorded_at,
succeeded,
reason.as_ref().map(name_of),
method,
plain(&e.metadata.client_ip),
plain(&e.metadata.user_agent)
)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
