//! The identity read model's query port: what the API asks of the `users` table the
//! [`Users`](super::Users) projection writes — the facts a request's authentication checks, the
//! signed-in account, and the admin's user listing (with each user's quota from the documents
//! read model). Its PostgreSQL implementation is `infra::readmodels::users`. A user the read model
//! has not seen yet reads as `None`; callers fall back to the user's own stream.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ReadError;

/// What authenticating a request checks, as of the event at `last_position`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFacts {
    /// The role's stored name (`user`, `admin`, `auditor`).
    pub role: String,
    pub is_active: bool,
    /// Tokens issued before this instant are refused.
    pub not_before: Option<DateTime<Utc>>,
    /// The global position of the last event folded into the row.
    pub last_position: u64,
}

/// An account as the read model holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: Uuid,
    /// `None` once erased.
    pub email: Option<String>,
    pub handle: String,
    /// The role's stored name.
    pub role: String,
    pub is_active: bool,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// An account with its quota figures, for the admin listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUserRow {
    pub user: UserRow,
    /// `None`: the default quota.
    pub quota_limit: Option<i64>,
    pub quota_used: i64,
    /// What unconfirmed, unexpired uploads hold (as `GET /api/quota` counts it).
    pub quota_reserved: i64,
}

/// The identity read model's reads.
#[async_trait]
pub trait UserReads: Send + Sync {
    /// The authentication facts of `user`.
    async fn auth_facts(&self, user: Uuid) -> Result<Option<AuthFacts>, ReadError>;

    /// One account.
    async fn user(&self, user: Uuid) -> Result<Option<UserRow>, ReadError>;

    /// Up to `limit` accounts after `after` by id, those whose handle or email contains `text`
    /// (case-insensitively) when one is given; uploads count as reserved while their upload
    /// window is open at `now`.
    async fn admin_page(
        &self,
        after: Option<Uuid>,
        text: Option<&str>,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<AdminUserRow>, ReadError>;
}
