//! Rendering selected entries: the events are read from the log and decrypted with the keys
//! that still exist; personal data whose key was destroyed reads `[erased]`. Document content
//! and extracted text never appear (auditors see who did what, not what documents say).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::personal::{ERASED_MARKER, PII_MARKER};
use domain::ports::{EventStore, StoreError};
use domain::{Personal, RecordedEvent};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use projections::audit::query::{AuditReads, IndexRow};
use projections::ReadError;

use super::summary;

/// What erased personal data reads as.
pub const ERASED: &str = "[erased]";

/// Payload fields that could carry document content: removed from audit entries.
const CONTENT_FIELDS: &[&str] = &[
    "text",
    "extracted_text",
    "content",
    "excerpt",
    "snippet",
    "body",
];

/// Credentials and their digests: shown as `[redacted]` (an auditor needs to know that a password
/// changed, never its hash).
const SECRET_FIELDS: &[&str] = &[
    "password_hash",
    "secret",
    "token_hash",
    "recovery_code_hashes",
];

/// What a credential field reads as.
pub const REDACTED: &str = "[redacted]";

/// A user named in an entry: the id always, the handle when the users read model knows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserRef {
    pub id: Uuid,
    pub handle: Option<String>,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Global position in the log (the entry's identity).
    pub position: u64,
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub stream_id: String,
    pub stream_version: u64,
    /// Who did it; absent for system actions.
    pub actor: Option<UserRef>,
    /// The users the event is about.
    pub subjects: Vec<UserRef>,
    pub document_id: Option<Uuid>,
    /// One human-readable sentence.
    pub summary: String,
    /// Every personal value of the event by JSON path (`data.filename`, `metadata.client_ip`),
    /// decrypted, or `[erased]` when the subject's key was destroyed.
    #[schema(value_type = Object)]
    pub personal_data: BTreeMap<String, String>,
    /// The payload with personal values inlined (or `[erased]`) and content fields removed.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// Replaces each personal-data marker in `v` by its plain value (or `[erased]`), recording it
/// under its path in `out`, and drops content fields.
fn inline_personal(v: &mut Value, path: &str, out: &mut BTreeMap<String, String>) {
    let Value::Object(map) = v else {
        if let Value::Array(items) = v {
            for (i, item) in items.iter_mut().enumerate() {
                inline_personal(item, &format!("{path}[{i}]"), out);
            }
        }
        return;
    };
    if let Some(inner) = map.get(PII_MARKER).cloned() {
        let text = match &inner {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(path.to_owned(), text);
        *v = inner;
        return;
    }
    if map.contains_key(ERASED_MARKER) {
        out.insert(path.to_owned(), ERASED.to_owned());
        *v = Value::String(ERASED.to_owned());
        return;
    }
    map.retain(|k, _| !CONTENT_FIELDS.contains(&k.as_str()));
    for (k, child) in map.iter_mut() {
        if SECRET_FIELDS.contains(&k.as_str()) {
            *child = Value::String(REDACTED.to_owned());
        } else {
            inline_personal(child, &format!("{path}.{k}"), out);
        }
    }
}

fn personal_meta(name: &str, p: &Option<Personal<String>>, out: &mut BTreeMap<String, String>) {
    if let Some(p) = p {
        out.insert(format!("metadata.{name}"), p.display());
    }
}

/// Renders one decrypted event with the index facts and known handles.
pub fn entry(
    e: &RecordedEvent,
    row: Option<&IndexRow>,
    names: &HashMap<Uuid, String>,
) -> AuditEntry {
    let user = |id: Uuid| UserRef {
        id,
        handle: names.get(&id).cloned(),
    };
    let mut personal = BTreeMap::new();
    let mut data = e.data.clone();
    inline_personal(&mut data, "data", &mut personal);
    personal_meta("client_ip", &e.metadata.client_ip, &mut personal);
    personal_meta("user_agent", &e.metadata.user_agent, &mut personal);
    let summary = summary::summarize(e, names);
    AuditEntry {
        position: e.global_position,
        event_id: e.event_id,
        recorded_at: e.recorded_at,
        event_type: e.event_type.clone(),
        stream_id: e.stream_id.to_string(),
        stream_version: e.stream_version,
        actor: e.metadata.actor_id.map(user),
        subjects: row
            .map(|r| r.subject_users.iter().copied().map(user).collect())
            .unwrap_or_default(),
        document_id: row.and_then(|r| r.document_id),
        summary,
        personal_data: personal,
        data,
    }
}

/// Loads, decrypts and renders the selected rows, in the rows' order.
pub async fn render(
    store: &dyn EventStore,
    reads: &dyn AuditReads,
    rows: &[IndexRow],
) -> Result<Vec<AuditEntry>, RenderError> {
    let positions: Vec<u64> = rows.iter().map(|r| r.position.max(0) as u64).collect();
    let events = store.read_positions(&positions).await?;
    let mut ids = HashSet::new();
    for r in rows {
        ids.extend(r.actor_id);
        ids.extend(r.subject_users.iter().copied());
    }
    for e in &events {
        ids.extend(summary::referenced_users(e));
    }
    let names = reads.handles(&ids.into_iter().collect::<Vec<_>>()).await?;
    let by_position: HashMap<u64, &RecordedEvent> =
        events.iter().map(|e| (e.global_position, e)).collect();
    Ok(rows
        .iter()
        .filter_map(|r| {
            by_position
                .get(&(r.position as u64))
                .map(|e| entry(e, Some(r), &names))
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl From<RenderError> for crate::error::ApiError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Store(e) => e.into(),
            RenderError::Read(e) => e.into(),
        }
    }
}
