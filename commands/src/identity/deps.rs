//! The identity handlers' collaborators besides the event store and clock in `CommandContext`.

use std::sync::Arc;

use chrono::Duration;

use super::ports::{PasswordHasher, PasswordScreen, TotpCodes};
use super::secrets::IndexKey;

#[derive(Clone)]
pub struct IdentityDeps {
    pub hasher: Arc<dyn PasswordHasher>,
    pub screen: Arc<dyn PasswordScreen>,
    pub totp: Arc<dyn TotpCodes>,
    pub index: IndexKey,
    /// Absolute lifetime of a refresh-token family (rotation does not extend it).
    pub refresh_lifetime: Duration,
}

impl IdentityDeps {
    /// Refresh families live 30 days from login.
    pub const DEFAULT_REFRESH_LIFETIME_DAYS: i64 = 30;
}
