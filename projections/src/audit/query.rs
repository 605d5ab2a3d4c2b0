//! The audit index's query port: which log positions an audit filter selects (keyset pages over
//! the `audit_events` table the [`Audit`](super::Audit) projection writes), which documents a
//! user was associated with up to an instant (the candidates a point-in-time replay folds), and
//! the handles that name the users an entry mentions. The events themselves are read from the
//! log through `domain::ports::EventStore`, so only the index is PostgreSQL's; the
//! implementation is `infra::readmodels::audit`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::audit::AuditSelection;
use uuid::Uuid;

use crate::ReadError;

/// Newest or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Newest,
    Oldest,
}

/// The filters of an audit query or export (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub actor: Option<Uuid>,
    pub subject_user: Option<Uuid>,
    pub document_id: Option<Uuid>,
    /// One or more event types (any of them).
    pub types: Option<Vec<String>>,
    /// Inclusive lower bound of `recorded_at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound of `recorded_at`.
    pub to: Option<DateTime<Utc>>,
}

impl Selection {
    /// The form recorded in the audit-access event.
    pub fn recorded(&self) -> AuditSelection {
        AuditSelection {
            actor: self.actor,
            subject_user: self.subject_user,
            document_id: self.document_id,
            event_type: self.types.as_ref().map(|t| t.join(",")),
            from: self.from,
            to: self.to,
        }
    }
}

/// One selected entry of the index.
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub position: i64,
    pub actor_id: Option<Uuid>,
    pub subject_users: Vec<Uuid>,
    pub document_id: Option<Uuid>,
}

/// The audit tools' reads of the index and of the users read model.
#[async_trait]
pub trait AuditReads: Send + Sync {
    /// Up to `limit` entries after the keyset position `after` (exclusive) in `order`.
    async fn page(
        &self,
        selection: &Selection,
        order: Order,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<IndexRow>, ReadError>;

    /// The documents whose entries name `user` as a subject (owner or recipient) recorded at or
    /// before `at`, by id.
    async fn documents_of(&self, user: Uuid, at: DateTime<Utc>) -> Result<Vec<Uuid>, ReadError>;

    /// The handles of the given users that the users read model knows.
    async fn handles(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ReadError>;
}
