//! Events of the audit log's own use (stream `auditlog-<reader uuid>`): every query, export and
//! point-in-time replay an auditor or admin runs is itself recorded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;

/// The stream category of audit-access events; the id is the reader's user id.
pub const AUDIT_LOG_CATEGORY: &str = "auditlog";

/// The selection an audit query or export asked for (ids and times only: no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSelection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_user: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AuditAccessEvent {
    /// A page of `GET /api/audit/events` was served.
    AuditLogQueried {
        selection: AuditSelection,
        returned: u64,
    },
    /// An export (HTTP or CLI) was produced.
    AuditLogExported {
        selection: AuditSelection,
        format: String,
        events: u64,
        /// SHA-256 (hex) of the export's entry lines, as signed in its manifest.
        content_sha256: String,
    },
    /// A point-in-time view was computed.
    AuditReplayed {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        document_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<Uuid>,
    },
}

impl DomainEvent for AuditAccessEvent {}
