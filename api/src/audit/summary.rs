//! One human-readable sentence per audit entry, from the event type and its payload (personal
//! values already inlined or `[erased]`). Unknown types fall back to their words.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

/// Payload fields naming users, whose handles a summary shows.
const USER_FIELDS: &[&str] = &["recipient_id", "by", "owner_id", "user_id"];

/// User ids a summary may mention.
pub fn referenced_users(data: &Value) -> Vec<Uuid> {
    USER_FIELDS
        .iter()
        .filter_map(|f| data.get(*f)?.as_str()?.parse().ok())
        .collect()
}

fn s<'a>(data: &'a Value, field: &str) -> &'a str {
    data.get(field).and_then(Value::as_str).unwrap_or("?")
}

fn n(data: &Value, field: &str) -> String {
    data.get(field)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "?".into())
}

fn who(data: &Value, field: &str, names: &HashMap<Uuid, String>) -> String {
    let Some(id) = data
        .get(field)
        .and_then(Value::as_str)
        .and_then(|v| v.parse::<Uuid>().ok())
    else {
        return "someone".into();
    };
    names
        .get(&id)
        .map(|h| format!("@{h}"))
        .unwrap_or_else(|| format!("user {id}"))
}

fn folder(data: &Value, field: &str) -> String {
    match data.get(field).and_then(Value::as_str) {
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
pub fn summarize(event_type: &str, d: &Value, names: &HashMap<Uuid, String>) -> String {
    match event_type {
        "UserRegistered" => format!(
            "Account @{} registered as {} ({})",
            s(d, "handle"),
            s(d, "role"),
            s(d, "email")
        ),
        "LoginSucceeded" => format!("Signed in ({})", s(d, "method")),
        "LoginFailed" => format!("Sign-in failed ({})", s(d, "reason")),
        "PasswordChanged" => "Password changed".into(),
        "RoleChanged" => format!("Role changed from {} to {}", s(d, "from"), s(d, "to")),
        "UserDeactivated" => "Account deactivated".into(),
        "UserReactivated" => "Account reactivated".into(),
        "UserErased" => format!("Account erased: {}", s(d, "reason")),
        "DocumentUploadRequested" => format!(
            "Upload of “{}” ({} bytes) requested",
            s(d, "filename"),
            n(d, "size_bytes")
        ),
        "DocumentUploaded" => format!(
            "Upload confirmed ({}, {} bytes)",
            s(d, "content_type"),
            n(d, "size_bytes")
        ),
        "DocumentUploadRejected" => format!("Upload rejected ({})", s(d, "reason")),
        "DocumentRenamed" => format!("Renamed to “{}”", s(d, "filename")),
        "DocumentMoved" => format!("Moved to {}", folder(d, "folder_id")),
        "DocumentTrashed" => "Moved to the trash".into(),
        "DocumentRestored" => format!("Restored from the trash to {}", folder(d, "folder_id")),
        "DocumentPurged" => format!("Purged ({} bytes released)", n(d, "size_bytes")),
        "DocumentShared" => format!(
            "Shared with {} ({})",
            who(d, "recipient_id", names),
            s(d, "permission")
        ),
        "ShareRevoked" => format!("Share with {} revoked", who(d, "recipient_id", names)),
        "DocumentDownloaded" => format!("Downloaded by {}", who(d, "by", names)),
        "FolderCreated" => format!("Folder “{}” created", s(d, "name")),
        "FolderRenamed" => format!("Folder renamed to “{}”", s(d, "name")),
        "QuotaLimitChanged" => format!("Quota limit set to {} bytes", n(d, "limit_bytes")),
        "AuditLogQueried" => format!("Audit log queried ({} entries)", n(d, "returned")),
        "AuditLogExported" => format!(
            "Audit log exported as {} ({} entries)",
            s(d, "format"),
            n(d, "events")
        ),
        "AuditReplayed" => format!("Point-in-time view as of {}", s(d, "at")),
        other => words(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sentences_name_users_by_handle_and_fall_back_to_words() {
        let bob = Uuid::now_v7();
        let names = HashMap::from([(bob, "bob".to_owned())]);
        let d = json!({"recipient_id": bob.to_string(), "permission": "view"});
        assert_eq!(
            summarize("DocumentShared", &d, &names),
            "Shared with @bob (view)"
        );
        assert_eq!(
            summarize("SomethingNewHappened", &json!({}), &names),
            "Something new happened"
        );
        assert_eq!(
            summarize("DocumentRenamed", &json!({"filename": "[erased]"}), &names),
            "Renamed to “[erased]”"
        );
    }
}
