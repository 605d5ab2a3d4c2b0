//! The identity handlers' business rejections, one enum for all of them (the API maps each to a
//! status and a stable code).

use domain::user::{PasswordProblem, UserError, ValueError};

use super::ports::HashError;
use crate::error::CommandError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    InvalidValue(#[from] ValueError),
    #[error(transparent)]
    Password(#[from] PasswordProblem),
    #[error("this email address cannot be used for a new account")]
    EmailTaken,
    #[error("this handle is taken")]
    HandleTaken,
    /// Unknown email or wrong password: deliberately indistinguishable.
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("a TOTP code is required")]
    TotpRequired,
    #[error("the TOTP code is wrong or was already used")]
    TotpInvalid,
    #[error("the account is deactivated")]
    Deactivated,
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("two-factor authentication is already enabled")]
    TotpAlreadyEnabled,
    #[error("start two-factor enrolment first")]
    TotpNotEnrolled,
    #[error("two-factor authentication is not enabled")]
    TotpNotEnabled,
    #[error("admins cannot demote or deactivate themselves")]
    CannotModifySelf,
    #[error("too many password checks in progress")]
    Overloaded,
}

impl From<UserError> for IdentityError {
    fn from(e: UserError) -> Self {
        match e {
            // Handlers check existence before deciding; reaching these means a lost race with an
            // erasure or a forged id, which the caller must not be able to tell apart.
            UserError::NotRegistered | UserError::AlreadyRegistered => {
                IdentityError::InvalidCredentials
            }
            UserError::WrongPassword => IdentityError::WrongPassword,
            UserError::TotpAlreadyEnabled => IdentityError::TotpAlreadyEnabled,
            UserError::TotpNotEnrolled => IdentityError::TotpNotEnrolled,
            UserError::TotpNotEnabled => IdentityError::TotpNotEnabled,
            UserError::TotpInvalid => IdentityError::TotpInvalid,
            UserError::Deactivated => IdentityError::Deactivated,
        }
    }
}

impl From<HashError> for CommandError<IdentityError> {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Overloaded => CommandError::Domain(IdentityError::Overloaded),
            e @ HashError::Failed(_) => CommandError::Infra(Box::new(e)),
        }
    }
}

/// Shorthand for the identity handlers' result.
pub type IdentityResult<T> = Result<T, CommandError<IdentityError>>;

/// Lifts a business rejection into the command error.
pub(super) fn reject<T>(e: impl Into<IdentityError>) -> IdentityResult<T> {
    Err(CommandError::Domain(e.into()))
}

impl From<IdentityError> for CommandError<IdentityError> {
    fn from(e: IdentityError) -> Self {
        CommandError::Domain(e)
    }
}
