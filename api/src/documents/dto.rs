//! The JSON shapes of the documents area (a fixed contract: external clients are tested against
//! it), and how the read model's rows (`projections::documents`) become them. Times are RFC 3339
//! UTC, sizes in bytes, ids UUIDv7.

use chrono::{DateTime, Utc};
use projections::documents::{DocRow, FolderRow, ShareRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OwnerRef {
    pub id: Uuid,
    pub handle: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentDto {
    pub id: Uuid,
    pub filename: String,
    /// Sniffed from the bytes, not taken from the client.
    pub content_type: String,
    pub size_bytes: u64,
    pub sha256: Option<String>,
    pub folder_id: Option<Uuid>,
    /// `pending`, `uploaded` (then `processing`, `ready` or `error` once processing runs) or
    /// `trashed`.
    pub status: String,
    pub owner: OwnerRef,
    #[serde(serialize_with = "crate::json::utc_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json::utc_timestamp")]
    pub updated_at: DateTime<Utc>,
    pub shared_with_count: u32,
    /// On trash listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trashed_at: Option<DateTime<Utc>>,
    /// The document's topics (set by the classifier or by hand).
    #[serde(default)]
    pub topic_ids: Vec<Uuid>,
    /// Owner only: the owner's earlier document with the same bytes (SHA-256), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<Uuid>,
}

/// What the API shows for the handle of a user who has been erased.
pub const ERASED_HANDLE: &str = "[erased]";

/// The document as the API shows it; the owner's handle is `[erased]` once the owner is gone
/// (or when the read did not answer it).
impl From<DocRow> for DocumentDto {
    fn from(row: DocRow) -> Self {
        let status = match row.state.as_str() {
            "active" => row.processing_status,
            other => other.to_owned(),
        };
        DocumentDto {
            id: row.id,
            filename: row.filename,
            content_type: row.content_type,
            size_bytes: row.size_bytes.max(0) as u64,
            sha256: row.sha256,
            folder_id: (!row.folder_key.is_nil()).then_some(row.folder_key),
            status,
            owner: OwnerRef {
                id: row.owner_id,
                handle: row.owner_handle.unwrap_or_else(|| ERASED_HANDLE.to_owned()),
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            shared_with_count: row.shared_with_count.max(0) as u32,
            trashed_at: row.trashed_at,
            topic_ids: row.topic_ids,
            duplicate_of: row.duplicate_of,
        }
    }
}

/// A document someone shared with the caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SharedDocumentDto {
    #[serde(flatten)]
    pub document: DocumentDto,
    /// `view` or `download`.
    pub permission: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UploadUrlRequest {
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    #[serde(default)]
    pub folder_id: Option<Uuid>,
    /// Hex SHA-256 of the content; verified at confirmation when given.
    #[serde(default)]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadTarget {
    /// Always `PUT`.
    pub method: String,
    pub url: String,
    /// Send exactly these headers with the PUT.
    pub headers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadUrlResponse {
    pub document_id: Uuid,
    pub upload: UploadTarget,
    pub expires_at: DateTime<Utc>,
}

/// `folder_id: null` moves to the top level; an absent field leaves it unchanged.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateDocumentRequest {
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub folder_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderDto {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<FolderRow> for FolderDto {
    fn from(r: FolderRow) -> Self {
        FolderDto {
            id: r.id,
            name: r.name,
            parent_id: r.parent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateFolderRequest {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

/// `parent_id: null` moves to the top level; an absent field leaves it unchanged.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateFolderRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateShareRequest {
    /// The recipient's handle, with or without a leading `@`.
    pub handle: String,
    /// `view` or `download`.
    pub permission: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareDto {
    pub id: Uuid,
    pub document_id: Uuid,
    pub recipient: OwnerRef,
    pub permission: String,
    pub created_at: DateTime<Utc>,
}

impl ShareDto {
    /// A share as its owner sees it, with the recipient's `handle`.
    pub fn from_row(row: ShareRow, handle: String) -> Self {
        ShareDto {
            id: row.share_id,
            document_id: row.document_id,
            recipient: OwnerRef {
                id: row.recipient_id,
                handle,
            },
            permission: row.permission,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaDto {
    pub limit_bytes: u64,
    pub used_bytes: u64,
    /// Declared sizes of uploads requested but not confirmed yet.
    pub reserved_bytes: u64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SetQuotaRequest {
    pub limit_bytes: i64,
}

/// Distinguishes `"field": null` (Some(None)) from an absent field (None, via `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_absent_differ() {
        let moved: UpdateDocumentRequest = serde_json::from_str(r#"{"folder_id": null}"#).unwrap();
        assert_eq!(moved.folder_id, Some(None));
        let untouched: UpdateDocumentRequest =
            serde_json::from_str(r#"{"filename": "x"}"#).unwrap();
        assert_eq!(untouched.folder_id, None);
    }
}
