//! Why the user aggregate or one of its value types refused something. No infrastructure inside.

/// A value that failed its `parse` constructor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("a handle is 3 to 32 characters of a-z, 0-9 and _")]
    InvalidHandle,
    #[error("not a valid email address")]
    InvalidEmail,
}

/// Why a new password is not acceptable. Each reason is shown to the user as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("the password must be at least {min} characters long", min = super::Password::MIN_CHARS)]
    TooShort,
    #[error("the password must be at most {max} characters long", max = super::Password::MAX_CHARS)]
    TooLong,
    #[error("the password must not contain your handle")]
    ContainsHandle,
    #[error("the password must not contain your email address")]
    ContainsEmail,
    #[error("the password is in a list of commonly used passwords")]
    Common,
    #[error("the password appears in a known data breach")]
    Breached,
}

impl PasswordProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::ContainsHandle => "password_contains_handle",
            PasswordProblem::ContainsEmail => "password_contains_email",
            PasswordProblem::Common => "password_too_common",
            PasswordProblem::Breached => "password_breached",
        }
    }
}

/// A business rejection by the user aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("no such user")]
    NotRegistered,
    #[error("this user is already registered")]
    AlreadyRegistered,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("two-factor authentication is already enabled")]
    TotpAlreadyEnabled,
    #[error("start two-factor enrolment first")]
    TotpNotEnrolled,
    #[error("two-factor authentication is not enabled")]
    TotpNotEnabled,
    #[error("the code is wrong or was already used")]
    TotpInvalid,
    #[error("the account is deactivated")]
    Deactivated,
}
