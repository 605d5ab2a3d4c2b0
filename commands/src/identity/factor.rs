//! Matching a presented second factor against a user's state: a six-digit TOTP code against the
//! secret (which step it belongs to), anything else against the unused recovery codes.

use chrono::{DateTime, Utc};
use domain::user::decide::SecondFactor;
use domain::user::state::Totp;

use super::ports::TotpCodes;
use super::secrets::{looks_like_totp, recovery_digest};

/// What `code` proves against the enabled TOTP of `totp`.
pub fn second_factor(
    codes: &dyn TotpCodes,
    totp: &Totp,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> SecondFactor {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => SecondFactor::Absent,
        Some(code) if looks_like_totp(code) => SecondFactor::Totp {
            matched_step: totp
                .secret
                .as_ref()
                .and_then(|s| s.value())
                .and_then(|secret| codes.matching_step(secret, code, now)),
        },
        Some(code) => SecondFactor::RecoveryCode {
            index: totp.unused_recovery_code(&recovery_digest(code)),
        },
    }
}
