//! Pure decisions of the user aggregate. Facts from outside (the password check's verdict, which
//! TOTP step a code matched, fresh token digests, the time) are established by the command handler
//! and passed in; nothing here performs I/O or reads a clock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::UserId;
use crate::personal::Personal;

use super::error::UserError;
use super::event::{LoginFailure, LoginMethod, RevocationReason, UserEvent};
use super::role::Role;
use super::state::{not_before_after, revoke_all, User};
use super::values::{Email, Handle};

pub struct Register {
    pub user_id: UserId,
    pub email: Email,
    pub handle: Handle,
    pub role: Role,
    pub password_hash: String,
    pub at: DateTime<Utc>,
}

pub fn register(state: &User, cmd: Register) -> Result<Vec<UserEvent>, UserError> {
    if state.is_registered() {
        return Err(UserError::AlreadyRegistered);
    }
    Ok(vec![UserEvent::UserRegistered {
        user_id: cmd.user_id,
        email: Personal::new(cmd.email.into()),
        handle: cmd.handle.into(),
        role: cmd.role,
        password_hash: Personal::new(cmd.password_hash),
        registered_at: cmd.at,
    }])
}

/// The second factor presented with a login or a TOTP change, as the handler matched it against
/// this state's secret and recovery codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Absent,
    /// A six-digit code; `matched_step` is the time step (within the allowed skew) it is valid
    /// for, or `None` when it matches none.
    Totp {
        matched_step: Option<u64>,
    },
    /// A recovery code; `index` is the unused code it matched, if any.
    RecoveryCode {
        index: Option<usize>,
    },
}

/// A refresh-token family to open when the login succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub family_id: Uuid,
    pub token_hash: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub struct Login {
    pub password_ok: bool,
    pub second_factor: SecondFactor,
    pub session: NewSession,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Succeeded { family_id: Uuid },
    Failed(LoginFailure),
}

/// A login attempt. Failures are events too (the audit trail), so they are an outcome, not an
/// error: the handler appends them and then answers the client.
pub fn login(state: &User, cmd: Login) -> Result<(Vec<UserEvent>, LoginOutcome), UserError> {
    if !state.is_registered() {
        return Err(UserError::NotRegistered);
    }
    let fail = |reason| {
        Ok((
            vec![UserEvent::LoginFailed { reason }],
            LoginOutcome::Failed(reason),
        ))
    };
    // The password first: whatever else is wrong stays hidden from someone without it.
    if !cmd.password_ok {
        return fail(LoginFailure::BadPassword);
    }
    if !state.active {
        return fail(LoginFailure::Deactivated);
    }
    let mut events = Vec::new();
    let (method, totp_step) = if state.totp.enabled() {
        match check_second_factor(state, cmd.second_factor) {
            Ok(Proof::Step(step)) => (LoginMethod::PasswordAndTotp, Some(step)),
            Ok(Proof::RecoveryCode(index)) => {
                events.push(UserEvent::RecoveryCodeUsed { index });
                (LoginMethod::PasswordAndRecoveryCode, None)
            }
            Err(reason) => return fail(reason),
        }
    } else {
        (LoginMethod::Password, None)
    };
    events.push(UserEvent::LoginSucceeded { method, totp_step });
    let family_id = cmd.session.family_id;
    events.push(issue(cmd.session));
    Ok((events, LoginOutcome::Succeeded { family_id }))
}

enum Proof {
    Step(u64),
    RecoveryCode(usize),
}

fn check_second_factor(state: &User, factor: SecondFactor) -> Result<Proof, LoginFailure> {
    match factor {
        SecondFactor::Absent => Err(LoginFailure::TotpRequired),
        SecondFactor::Totp {
            matched_step: Some(step),
        } if state.totp.step_is_fresh(step) => Ok(Proof::Step(step)),
        SecondFactor::Totp {
            matched_step: Some(_),
        } => Err(LoginFailure::TotpReplayed),
        SecondFactor::Totp { matched_step: None } => Err(LoginFailure::TotpInvalid),
        SecondFactor::RecoveryCode { index: Some(i) }
            if i < state.totp.recovery_code_hashes.len()
                && !state.totp.used_recovery_codes.contains(&i) =>
        {
            Ok(Proof::RecoveryCode(i))
        }
        SecondFactor::RecoveryCode { .. } => Err(LoginFailure::TotpInvalid),
    }
}

fn issue(session: NewSession) -> UserEvent {
    UserEvent::RefreshTokenIssued {
        family_id: session.family_id,
        token_hash: session.token_hash,
        issued_at: session.issued_at,
        expires_at: session.expires_at,
    }
}

pub struct Refresh {
    pub presented_hash: String,
    pub new_hash: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    Rotated {
        family_id: Uuid,
        expires_at: DateTime<Utc>,
    },
    /// Matches no live family (unknown, logged out, revoked, or forged).
    Invalid,
    /// Its family reached the absolute lifetime.
    Expired,
    /// It had been rotated already; the family is now revoked.
    Reused,
}

/// Rotation of a refresh token (RFC 9700): the presented token must be its family's current one.
/// An already-rotated token revokes the whole family. Two concurrent refreshes with one token
/// both decide "rotate" on the same version; the expected-version append lets one through, and
/// the other, decided again on the new state, finds the token rotated: a reuse.
pub fn refresh(state: &User, cmd: Refresh) -> (Vec<UserEvent>, RefreshOutcome) {
    if !state.is_registered() || !state.active {
        return (vec![], RefreshOutcome::Invalid);
    }
    if let Some((family_id, family)) = state.family_with_current(&cmd.presented_hash) {
        if cmd.now >= family.expires_at {
            return (
                vec![UserEvent::RefreshTokenRevoked {
                    family_id,
                    reason: RevocationReason::Expired,
                }],
                RefreshOutcome::Expired,
            );
        }
        return (
            vec![UserEvent::RefreshTokenRotated {
                family_id,
                token_hash: cmd.new_hash,
            }],
            RefreshOutcome::Rotated {
                family_id,
                expires_at: family.expires_at,
            },
        );
    }
    if let Some((family_id, _)) = state.family_with_rotated(&cmd.presented_hash) {
        return (
            vec![
                UserEvent::RefreshTokenReuseDetected { family_id },
                UserEvent::RefreshTokenRevoked {
                    family_id,
                    reason: RevocationReason::ReuseDetected,
                },
            ],
            RefreshOutcome::Reused,
        );
    }
    (vec![], RefreshOutcome::Invalid)
}

/// Logout revokes the family of the presented token (current or rotated); an unknown token is a
/// no-op, so logout is idempotent.
pub fn logout(state: &User, presented_hash: &str) -> Vec<UserEvent> {
    state
        .family_with_current(presented_hash)
        .or_else(|| state.family_with_rotated(presented_hash))
        .map(|(family_id, _)| {
            vec![UserEvent::RefreshTokenRevoked {
                family_id,
                reason: RevocationReason::Logout,
            }]
        })
        .unwrap_or_default()
}

/// "Sign out everywhere": every live refresh family of the account is revoked, and every access
/// token issued up to `now` stops working (the caller's own included).
pub fn logout_everywhere(state: &User, now: DateTime<Utc>) -> Vec<UserEvent> {
    let mut events = vec![UserEvent::SignedOutEverywhere {
        not_before: not_before_after(now),
    }];
    events.extend(revoke_all(state, RevocationReason::Logout));
    events
}

pub struct ChangePassword {
    pub current_ok: bool,
    pub new_hash: String,
    pub now: DateTime<Utc>,
}

/// A password change ends every session: all refresh families are revoked and access tokens
/// issued before it stop working (`not_before`).
pub fn change_password(state: &User, cmd: ChangePassword) -> Result<Vec<UserEvent>, UserError> {
    ensure_usable(state)?;
    if !cmd.current_ok {
        return Err(UserError::WrongPassword);
    }
    let mut events = vec![UserEvent::PasswordChanged {
        password_hash: Personal::new(cmd.new_hash),
        not_before: not_before_after(cmd.now),
    }];
    events.extend(revoke_all(state, RevocationReason::PasswordChanged));
    Ok(events)
}

/// Starts (or restarts) TOTP enrolment with a freshly generated secret.
pub fn enroll_totp(state: &User, secret: String) -> Result<Vec<UserEvent>, UserError> {
    ensure_usable(state)?;
    if state.totp.enabled() {
        return Err(UserError::TotpAlreadyEnabled);
    }
    Ok(vec![UserEvent::TotpEnrolled {
        secret: Personal::new(secret),
    }])
}

/// Confirms enrolment with a code from the pending secret; the recovery codes (their digests)
/// are fixed at this point.
pub fn confirm_totp(
    state: &User,
    matched_step: Option<u64>,
    recovery_code_hashes: Vec<String>,
) -> Result<Vec<UserEvent>, UserError> {
    ensure_usable(state)?;
    if state.totp.enabled() {
        return Err(UserError::TotpAlreadyEnabled);
    }
    if state.totp.pending_secret.is_none() {
        return Err(UserError::TotpNotEnrolled);
    }
    match matched_step {
        Some(step) if state.totp.step_is_fresh(step) => Ok(vec![UserEvent::TotpEnabled {
            step,
            recovery_code_hashes,
        }]),
        _ => Err(UserError::TotpInvalid),
    }
}

/// Turning TOTP off needs the password and a second factor (a code or an unused recovery code).
pub fn disable_totp(
    state: &User,
    password_ok: bool,
    factor: SecondFactor,
) -> Result<Vec<UserEvent>, UserError> {
    ensure_usable(state)?;
    if !state.totp.enabled() {
        return Err(UserError::TotpNotEnabled);
    }
    if !password_ok {
        return Err(UserError::WrongPassword);
    }
    match check_second_factor(state, factor) {
        Ok(Proof::Step(step)) => Ok(vec![UserEvent::TotpDisabled { step: Some(step) }]),
        Ok(Proof::RecoveryCode(index)) => Ok(vec![
            UserEvent::RecoveryCodeUsed { index },
            UserEvent::TotpDisabled { step: None },
        ]),
        Err(_) => Err(UserError::TotpInvalid),
    }
}

/// An admin sets the role; setting the current role is a no-op.
pub fn change_role(state: &User, to: Role) -> Result<Vec<UserEvent>, UserError> {
    let from = state.role.ok_or(UserError::NotRegistered)?;
    if from == to {
        return Ok(vec![]);
    }
    Ok(vec![UserEvent::RoleChanged { from, to }])
}

/// An admin (de)activates the account. Deactivation ends every session at once.
pub fn set_active(
    state: &User,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Vec<UserEvent>, UserError> {
    if !state.is_registered() {
        return Err(UserError::NotRegistered);
    }
    match (state.active, active) {
        (true, false) => {
            let mut events = vec![UserEvent::UserDeactivated {
                not_before: not_before_after(now),
            }];
            events.extend(revoke_all(state, RevocationReason::Deactivated));
            Ok(events)
        }
        // An erased account stays deactivated: its credentials are gone with its key.
        (false, true) if state.erased => Ok(vec![]),
        (false, true) => Ok(vec![UserEvent::UserReactivated {}]),
        _ => Ok(vec![]),
    }
}

/// An admin erases the account (after deactivating it, purging its blobs and destroying its key).
/// Erasing an erased account appends nothing, so a retried erasure is harmless.
pub fn erase(state: &User, reason: &str, now: DateTime<Utc>) -> Result<Vec<UserEvent>, UserError> {
    if !state.is_registered() {
        return Err(UserError::NotRegistered);
    }
    if state.erased {
        return Ok(vec![]);
    }
    Ok(vec![UserEvent::UserErased {
        reason: reason.to_owned(),
        erased_at: now,
    }])
}

/// A registered, active account (the precondition of most changes to it).
pub(crate) fn ensure_usable(state: &User) -> Result<(), UserError> {
    if !state.is_registered() {
        return Err(UserError::NotRegistered);
    }
    if !state.active {
        return Err(UserError::Deactivated);
    }
    Ok(())
}
