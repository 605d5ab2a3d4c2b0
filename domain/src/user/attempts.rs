//! Failed logins for email addresses that have no account. They are recorded (the audit trail
//! must show password spraying), but in a `loginattempts-<keyed hash>` stream encrypted under a
//! non-user data key, so neither the stream names nor the payloads reveal which accounts exist.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::event::DomainEvent;

use super::event::LoginFailure;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum LoginAttemptEvent {
    /// Same event type as the user stream's, so the login history reads both alike.
    LoginFailed { reason: LoginFailure },
}

impl DomainEvent for LoginAttemptEvent {}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoginAttempts {
    pub failures: u64,
}

impl Aggregate for LoginAttempts {
    type Event = LoginAttemptEvent;
    const CATEGORY: &'static str = "loginattempts";

    fn evolve(mut self, event: &LoginAttemptEvent) -> Self {
        match event {
            LoginAttemptEvent::LoginFailed { .. } => self.failures += 1,
        }
        self
    }
}

/// The event for a login attempt against an email without an account.
pub fn unknown_account() -> Vec<LoginAttemptEvent> {
    vec![LoginAttemptEvent::LoginFailed {
        reason: LoginFailure::UnknownAccount,
    }]
}
