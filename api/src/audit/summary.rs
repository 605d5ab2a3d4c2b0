//! One human-readable sentence per audit entry, from the event decoded into its domain enum
//! ([`KnownEvent`], through the one upcast); personal values read as they are, or `[erased]`
//! once their subject's key is gone. Events the sentences do not cover, and events that do not
//! decode, fall back to the words of their type.

use std::collections::HashMap;

use domain::document::{DocumentEvent, DocumentReadEvent};
use domain::folder::FolderEvent;
use domain::ids::{FolderId, UserId};
use domain::known::KnownEvent;
use domain::quota::event::QuotaEvent;
use domain::user::UserEvent;
use domain::{audit::AuditAccessEvent, RecordedEvent};
use serde::Serialize;
use uuid::Uuid;

/// The users a summary names by handle.
pub fn referenced_users(e: &RecordedEvent) -> Vec<Uuid> {
    match KnownEvent::decode(e) {
        Some(Ok(KnownEvent::Document(
            DocumentEvent::DocumentShared { recipient_id, .. }
            | DocumentEvent::ShareRevoked { recipient_id, .. },
        ))) => vec![recipient_id.0],
        Some(Ok(KnownEvent::DocumentRead(DocumentReadEvent::DocumentDownloaded { by }))) => {
            vec![by.0]
        }
        _ => Vec::new(),
    }
}

/// A value's serialized name (`snake_case` enums such as a login method or a reject reason).
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

fn who(id: UserId, names: &HashMap<Uuid, String>) -> String {
    names
        .get(&id.0)
        .map(|h| format!("@{h}"))
        .unwrap_or_else(|| format!("user {id}"))
}

fn folder(id: Option<FolderId>) -> String {
    match id {
        Some(id) => format!("folder {id}"),
        None => "the root folder".into(),
    }
}

/// `DocumentUploadRequested` → `Document upload requested`.
fn words(event_type: &str) -> String {
    let mut out = String::new();
    for (i, c) in event_type.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The sentence for one event.
pub fn summarize(e: &RecordedEvent, names: &HashMap<Uuid, String>) -> String {
    let Some(Ok(known)) = KnownEvent::decode(e) else {
        return words(&e.event_type);
    };
    sentence(known, names).unwrap_or_else(|| words(&e.event_type))
}

/// The sentence for the events that have one of their own.
fn sentence(known: KnownEvent, names: &HashMap<Uuid, String>) -> Option<String> {
    use DocumentEvent as D;
    use UserEvent as U;
    Some(match known {
        KnownEvent::User(u) => match u {
            U::UserRegistered {
                email,
                handle,
                role,
                ..
            } => format!(
                "Account @{handle} registered as {role} ({})",
                email.display()
            ),
            U::LoginSucceeded { method, .. } => format!("Signed in ({})", label(&method)),
            U::LoginFailed { reason } => format!("Sign-in failed ({})", label(&reason)),
            U::PasswordChanged { .. } => "Password changed".into(),
            U::RoleChanged { from, to } => format!("Role changed from {from} to {to}"),
            U::UserDeactivated { .. } => "Account deactivated".into(),
            U::SignedOutEverywhere { .. } => "Signed out on every device".into(),
            U::UserReactivated {} => "Account reactivated".into(),
            U::UserErased { reason, .. } => format!("Account erased: {reason}"),
            U::StorageBackendConnected {
                kind,
                display_name,
                endpoint_host,
                ..
            } => format!(
                "Storage backend “{}” connected ({}, {})",
                display_name.display(),
                kind.as_str(),
                endpoint_host.display()
            ),
            U::StorageBackendRenamed { display_name, .. } => {
                format!("Storage backend renamed to “{}”", display_name.display())
            }
            U::DefaultStorageBackendChanged {
                backend_id: Some(id),
            } => format!("Default storage set to backend {id}"),
            U::DefaultStorageBackendChanged { backend_id: None } => {
                "Default storage set to DocuVault's own".into()
            }
            U::StorageBackendDisconnected {
                documents_moved, ..
            } => format!("Storage backend disconnected ({documents_moved} documents moved off it)"),
            _ => return None,
        },
        KnownEvent::LoginAttempt(domain::user::attempts::LoginAttemptEvent::LoginFailed {
            reason,
        }) => format!("Sign-in failed ({})", label(&reason)),
        KnownEvent::Document(d) => match d {
            D::DocumentUploadRequested {
                filename,
                size_bytes,
                ..
            } => format!(
                "Upload of “{}” ({size_bytes} bytes) requested",
                filename.display()
            ),
            D::DocumentUploaded {
                content_type,
                size_bytes,
                ..
            } => format!("Upload confirmed ({content_type}, {size_bytes} bytes)"),
            D::DocumentUploadRejected { reason } => {
                format!("Upload rejected ({})", label(&reason))
            }
            D::DocumentRenamed { filename } => format!("Renamed to “{}”", filename.display()),
            D::DocumentMoved { folder_id } => format!("Moved to {}", folder(folder_id)),
            D::DocumentTrashed { .. } => "Moved to the trash".into(),
            D::DocumentRestored { folder_id } => {
                format!("Restored from the trash to {}", folder(folder_id))
            }
            D::DocumentPurged { size_bytes } => {
                format!("Purged ({size_bytes} bytes released)")
            }
            D::DocumentShared {
                recipient_id,
                permission,
                ..
            } => format!(
                "Shared with {} ({})",
                who(recipient_id, names),
                permission.as_str()
            ),
            D::ShareRevoked { recipient_id, .. } => {
                format!("Share with {} revoked", who(recipient_id, names))
            }
            D::DocumentUploadExpired {} => return None,
        },
        KnownEvent::DocumentRead(DocumentReadEvent::DocumentDownloaded { by }) => {
            format!("Downloaded by {}", who(by, names))
        }
        KnownEvent::Folder(f) => match f {
            FolderEvent::FolderCreated { name, .. } => {
                format!("Folder “{}” created", name.display())
            }
            FolderEvent::FolderRenamed { name, .. } => {
                format!("Folder renamed to “{}”", name.display())
            }
            _ => return None,
        },
        KnownEvent::Quota(QuotaEvent::QuotaLimitChanged { limit_bytes }) => {
            format!("Quota limit set to {limit_bytes} bytes")
        }
        KnownEvent::AuditAccess(a) => match a {
            AuditAccessEvent::AuditLogQueried { returned, .. } => {
                format!("Audit log queried ({returned} entries)")
            }
            AuditAccessEvent::AuditLogExported { format, events, .. } => {
                format!("Audit log exported as {format} ({events} entries)")
            }
            AuditAccessEvent::AuditReplayed { at, .. } => {
                format!("Point-in-time view as of {}", label(&at))
            }
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::event::{Checkpoint, EventMetadata, StreamId};
    use serde_json::{json, Value};

    fn recorded(stream: StreamId, event_type: &str, data: Value) -> RecordedEvent {
        RecordedEvent {
            event_id: Uuid::now_v7(),
            stream_id: stream,
            stream_version: 1,
            global_position: 1,
            checkpoint: Checkpoint::START,
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: EventMetadata::default(),
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn sentences_name_users_by_handle_and_fall_back_to_words() {
        let bob = Uuid::now_v7();
        let names = HashMap::from([(bob, "bob".to_owned())]);
        let doc = StreamId::new("document", Uuid::now_v7());
        let shared = recorded(
            doc.clone(),
            "DocumentShared",
            json!({"share_id": Uuid::now_v7(), "recipient_id": bob, "permission": "view"}),
        );
        assert_eq!(summarize(&shared, &names), "Shared with @bob (view)");
        assert_eq!(referenced_users(&shared), vec![bob]);
        let unknown = recorded(doc.clone(), "SomethingNewHappened", json!({}));
        assert_eq!(summarize(&unknown, &names), "Something new happened");
        let other_stream = recorded(StreamId::new("elsewhere", 1), "ThingDone", json!({}));
        assert_eq!(summarize(&other_stream, &names), "Thing done");
        let erased = recorded(
            doc,
            "DocumentRenamed",
            json!({"filename": {"$erased": true}}),
        );
        assert_eq!(summarize(&erased, &names), "Renamed to “[erased]”");
        let failed = recorded(
            StreamId::new("user", bob),
            "LoginFailed",
            json!({"reason": "bad_password"}),
        );
        assert_eq!(summarize(&failed, &names), "Sign-in failed (bad_password)");
    }
}
