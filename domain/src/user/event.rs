//! The user aggregate's events (stream `user-<uuid>`). Past tense, adjacently tagged; the variant
//! name is the stored event type.
//!
//! Never in here: a password, a refresh token, a TOTP code or any other secret in plaintext.
//! Password hashes and the TOTP secret are `Personal`, so the store encrypts them with the user's
//! data key and erasing the user shreds them; refresh tokens and recovery codes appear only as
//! SHA-256 digests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;
use crate::ids::{StorageBackendId, UserId};
use crate::personal::Personal;
use crate::storage::BackendKind;

use super::role::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum UserEvent {
    UserRegistered {
        user_id: UserId,
        email: Personal<String>,
        handle: String,
        role: Role,
        /// PHC string of an argon2id hash.
        password_hash: Personal<String>,
        registered_at: DateTime<Utc>,
    },
    LoginSucceeded {
        method: LoginMethod,
        /// The TOTP time step the accepted code belonged to; no code is accepted twice.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        totp_step: Option<u64>,
    },
    LoginFailed {
        reason: LoginFailure,
    },
    /// A TOTP secret was generated; it becomes active only once a code from it is confirmed.
    TotpEnrolled {
        /// Base32, as in the otpauth URI.
        secret: Personal<String>,
    },
    TotpEnabled {
        step: u64,
        /// SHA-256 (hex) of each recovery code, in the order shown to the user.
        recovery_code_hashes: Vec<String>,
    },
    TotpDisabled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u64>,
    },
    RecoveryCodeUsed {
        index: usize,
    },
    PasswordChanged {
        password_hash: Personal<String>,
        /// Access tokens issued before this instant are no longer accepted.
        not_before: DateTime<Utc>,
    },
    RefreshTokenIssued {
        family_id: Uuid,
        /// SHA-256 (hex) of the token.
        token_hash: String,
        issued_at: DateTime<Utc>,
        /// Absolute end of the family: rotation does not extend it.
        expires_at: DateTime<Utc>,
    },
    RefreshTokenRotated {
        family_id: Uuid,
        token_hash: String,
    },
    RefreshTokenRevoked {
        family_id: Uuid,
        reason: RevocationReason,
    },
    /// An already-rotated token of the family was presented (RFC 9700 §4.14.2): someone holds a
    /// copy. The family is revoked in the same append.
    RefreshTokenReuseDetected {
        family_id: Uuid,
    },
    RoleChanged {
        from: Role,
        to: Role,
    },
    UserDeactivated {
        not_before: DateTime<Utc>,
    },
    /// "Sign out everywhere": every refresh family is revoked (events of their own) and access
    /// tokens issued before `not_before` are no longer accepted, on every device.
    SignedOutEverywhere {
        not_before: DateTime<Utc>,
    },
    UserReactivated {},
    /// The account was erased (right to be forgotten): deactivated for good, its blobs purged and
    /// its data key destroyed, so every personal value in the log reads as erased. Carries no
    /// personal data itself.
    UserErased {
        /// Why (the admin's words, e.g. a ticket number); must not contain personal data.
        reason: String,
        erased_at: DateTime<Utc>,
    },
    /// A cloud storage backend was connected (its account checked, its credentials stored
    /// outside the log).
    StorageBackendConnected {
        backend_id: StorageBackendId,
        kind: BackendKind,
        display_name: Personal<String>,
        /// The server's host name (WebDAV), or the provider's.
        endpoint_host: Personal<String>,
    },
    StorageBackendRenamed {
        backend_id: StorageBackendId,
        display_name: Personal<String>,
    },
    /// Where new uploads go: a backend, or (`None`) DocuVault's own store.
    DefaultStorageBackendChanged {
        #[serde(default)]
        backend_id: Option<StorageBackendId>,
    },
    StorageBackendDisconnected {
        backend_id: StorageBackendId,
        /// How many documents were moved off it first.
        documents_moved: u64,
    },
}

impl DomainEvent for UserEvent {}

/// How the second step of a successful login was satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    Password,
    PasswordAndTotp,
    PasswordAndRecoveryCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginFailure {
    BadPassword,
    TotpRequired,
    TotpInvalid,
    /// A valid code from a time step that was already used: a replay.
    TotpReplayed,
    Deactivated,
    /// Recorded in a `loginattempts-…` stream, never in a user's stream.
    UnknownAccount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Logout,
    PasswordChanged,
    ReuseDetected,
    Deactivated,
    Expired,
}
