//! Identity failures as problem+json: statuses and stable codes of the auth contract.

use super::{RetryAfter, TokenError};
use axum::http::{header, HeaderValue, StatusCode};
use commands::identity::IdentityError;
use domain::user::ValueError;

use crate::error::ApiError;

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let detail = e.to_string();
        match e {
            IdentityError::InvalidValue(ValueError::InvalidEmail) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_email", detail)
            }
            IdentityError::InvalidValue(ValueError::InvalidHandle) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_handle", detail)
            }
            IdentityError::Password(p) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, p.code(), detail)
            }
            IdentityError::EmailTaken => ApiError::conflict("email_taken", detail),
            IdentityError::HandleTaken => ApiError::conflict("handle_taken", detail),
            // One fixed body for unknown email and wrong password alike.
            IdentityError::InvalidCredentials => {
                ApiError::unauthorized("invalid_credentials", "Wrong email or password.")
            }
            IdentityError::TotpRequired => ApiError::unauthorized("totp_required", detail),
            IdentityError::TotpInvalid => ApiError::unauthorized("totp_invalid", detail),
            IdentityError::Deactivated => {
                ApiError::new(StatusCode::FORBIDDEN, "account_deactivated", detail)
            }
            IdentityError::InvalidRefreshToken => {
                ApiError::unauthorized("invalid_refresh_token", detail)
            }
            IdentityError::WrongPassword => {
                ApiError::new(StatusCode::FORBIDDEN, "wrong_password", detail)
            }
            IdentityError::TotpAlreadyEnabled => ApiError::conflict("totp_already_enabled", detail),
            IdentityError::TotpNotEnrolled => ApiError::conflict("totp_not_enrolled", detail),
            IdentityError::TotpNotEnabled => ApiError::conflict("totp_not_enabled", detail),
            IdentityError::CannotModifySelf => ApiError::conflict("cannot_modify_self", detail),
            IdentityError::Overloaded => overloaded(),
        }
    }
}

/// 503 with `Retry-After: 1`: the password hasher's queue is full.
pub fn overloaded() -> ApiError {
    ApiError::unavailable(
        "overloaded",
        "Too many sign-ins are being checked right now; try again in a moment.",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
}

/// 429 with `Retry-After`.
pub fn throttled(wait: RetryAfter) -> ApiError {
    let seconds = wait.seconds();
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("Too many failed attempts; try again in {seconds} s."),
    )
    .with("retry_after", seconds)
    .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
}

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750).
pub fn unauthenticated(code: &'static str, detail: &str, bearer_error: Option<&str>) -> ApiError {
    let challenge = match bearer_error {
        Some(e) => format!("Bearer realm=\"docuvault\", error=\"{e}\""),
        None => "Bearer realm=\"docuvault\"".to_owned(),
    };
    ApiError::unauthorized(code, detail).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&challenge).expect("static challenge"),
    )
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Expired => unauthenticated(
                "token_expired",
                "The access token has expired; refresh it.",
                Some("invalid_token"),
            ),
            _ => unauthenticated(
                "invalid_token",
                "The access token is not valid.",
                Some("invalid_token"),
            ),
        }
    }
}
