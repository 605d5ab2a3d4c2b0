//! What the identity handlers need from `infra`: password hashing and screening, and TOTP.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::{Password, PasswordProblem};

/// Why a hash could not be computed or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are queued already; the caller should answer a fast 503 and let the
    /// client retry, rather than let requests pile up behind the blocking pool.
    #[error("password hashing is overloaded")]
    Overloaded,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// A slow, salted password hash (argon2id).
///
/// Implementations run the hash off the async executor, bound how many run and wait at once, and
/// never log or return the password.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// The PHC string of a fresh hash of `password`.
    async fn hash(&self, password: &Password) -> Result<String, HashError>;

    /// Whether `password` matches the PHC string. With `None` (an unknown account) it verifies
    /// against a dummy hash with the same parameters and returns `false`, so both cases cost the
    /// same time and an attacker cannot tell them apart.
    async fn verify(&self, password: &Password, phc: Option<&str>) -> Result<bool, HashError>;
}

/// Screens new passwords against lists of common and breached passwords.
#[async_trait]
pub trait PasswordScreen: Send + Sync {
    /// `Err(Common)` when the password is in the offline list shipped with the product,
    /// `Err(Breached)` when a configured breach service knows it. A breach service that cannot be
    /// reached does not block the user (the offline list still applies).
    async fn screen(&self, password: &Password) -> Result<(), PasswordProblem>;
}

/// RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30-second steps).
pub trait TotpCodes: Send + Sync {
    /// A fresh random secret, base32 as shown to authenticator apps.
    fn new_secret(&self) -> String;

    /// The time step (Unix time / 30) within ±1 step of `at` for which `code` is the right code
    /// under `secret`, or `None`. The caller decides whether that step was already used.
    fn matching_step(&self, secret: &str, code: &str, at: DateTime<Utc>) -> Option<u64>;

    /// The `otpauth://totp/…` provisioning URI for an authenticator app.
    fn provisioning_uri(&self, secret: &str, account: &str) -> String;
}
