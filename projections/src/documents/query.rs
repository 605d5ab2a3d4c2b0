//! The documents read model's query port: what the query API asks of the tables the
//! [`apply`](super::apply) projection writes (documents, shares, folders, quotas), and the rows
//! it answers with. The PostgreSQL implementation is `infra::readmodels::documents`; every
//! listing there is a keyset page over one of the indexes of the `documents_read_models`
//! migration, continued by an opaque [`Cursor`].

use std::collections::HashMap;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ReadError;

/// The query API's reads of the documents read model. Documents a caller may not see are
/// answered exactly like missing ones (`None`, or left out of a list).
#[async_trait]
pub trait DocumentReads: Send + Sync {
    /// A document the caller owns (pending, active or trashed) or holds a share of (active
    /// only), with its owner's handle and how the caller sees it.
    async fn visible_document(
        &self,
        caller: Uuid,
        id: Uuid,
    ) -> Result<Option<(DocRow, Visibility)>, ReadError>;

    /// One page of a user's documents, and the cursor of the next page (`None` on the last).
    async fn list_documents(
        &self,
        listing: &Listing,
    ) -> Result<(Vec<DocRow>, Option<String>), ReadError>;

    /// The owner's documents among `ids` in `state`, in the order of `ids` (a search's ranking).
    async fn documents_by_ids(
        &self,
        owner: Uuid,
        state: &str,
        ids: &[Uuid],
    ) -> Result<Vec<DocRow>, ReadError>;

    /// Active documents shared with `recipient`, newest share first, with the permission.
    async fn shared_with(
        &self,
        recipient: Uuid,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<(Vec<(DocRow, String)>, Option<String>), ReadError>;

    /// The shares of one document, oldest first (the caller is known to own it).
    async fn shares_of(&self, document: Uuid) -> Result<Vec<ShareRow>, ReadError>;

    /// The owner's whole folder tree, flat, by name.
    async fn folders_of(&self, owner: Uuid) -> Result<Vec<FolderRow>, ReadError>;

    /// One of the owner's folders.
    async fn folder(&self, owner: Uuid, id: Uuid) -> Result<Option<FolderRow>, ReadError>;

    /// `(limit or None for the default, used, reserved by uploads pending at `now`)`.
    async fn quota_of(
        &self,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(Option<i64>, i64, i64), ReadError>;

    /// The handles of the given users (owners and recipients shown beside documents); users
    /// without a row (erased) are left out.
    async fn handles(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ReadError>;
}

/// A row of `documents`, with the owner's handle where the query answers it.
#[derive(Debug, Clone)]
pub struct DocRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// The folder, or nil at the top level.
    pub folder_key: Uuid,
    pub filename: String,
    /// The filename as listings sort and filter it (lower case).
    pub filename_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    /// `pending`, `active` or `trashed`.
    pub state: String,
    /// What processing shows of an active document (`uploaded`, `processing`, `ready`, `error`).
    pub processing_status: String,
    pub topic_ids: Vec<Uuid>,
    pub duplicate_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub trashed_at: Option<DateTime<Utc>>,
    pub shared_with_count: i32,
    /// Answered with the document by the reads that show its owner; `None` elsewhere and for an
    /// erased owner.
    pub owner_handle: Option<String>,
}

/// How the caller may see a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Owner,
    /// Through a share with this permission.
    Recipient(String),
}

/// The sort orders of `GET /api/documents?sort=` (a leading `-` means descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Name,
    Size,
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Newest first unless asked otherwise.
    pub fn parse(raw: Option<&str>) -> Result<Self, ReadError> {
        let raw = raw.unwrap_or("-created_at");
        let (descending, name) = match raw.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, raw),
        };
        let key = match name {
            "created_at" => SortKey::Created,
            "filename" | "name" => SortKey::Name,
            "size_bytes" | "size" => SortKey::Size,
            _ => return Err(ReadError::InvalidSort),
        };
        Ok(Self { key, descending })
    }
}

/// A keyset cursor: the sort key and id of the last row of the previous page. Clients hold
/// these (base64url of this JSON), so the shape is a contract.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    pub k: CursorKey,
    pub id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorKey {
    Time(DateTime<Utc>),
    Int(i64),
    Text(String),
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serializes"))
    }

    pub fn decode(raw: &str) -> Result<Self, ReadError> {
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(ReadError::InvalidCursor)
    }
}

/// What a listing asks for.
#[derive(Debug, Clone)]
pub struct Listing {
    pub owner: Uuid,
    pub state: &'static str,
    /// `Some(nil)` is the top level; `None` lists every folder.
    pub folder: Option<Uuid>,
    /// A case-insensitive substring of the filename (`_` and `%` are literal).
    pub q: Option<String>,
    pub sort: Sort,
    pub limit: u32,
    pub cursor: Option<String>,
}

/// A row of `document_shares`.
#[derive(Debug, Clone)]
pub struct ShareRow {
    pub share_id: Uuid,
    pub document_id: Uuid,
    pub recipient_id: Uuid,
    /// `view` or `download`.
    pub permission: String,
    pub created_at: DateTime<Utc>,
}

/// A row of `folders`.
#[derive(Debug, Clone)]
pub struct FolderRow {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let c = Cursor {
            k: CursorKey::Int(42),
            id: Uuid::nil(),
        };
        let back = Cursor::decode(&c.encode()).unwrap();
        assert!(matches!(back.k, CursorKey::Int(42)));
        assert!(matches!(
            Cursor::decode("not a cursor"),
            Err(ReadError::InvalidCursor)
        ));
    }

    #[test]
    fn sort_defaults_to_newest_first() {
        let s = Sort::parse(None).unwrap();
        assert_eq!(s.key, SortKey::Created);
        assert!(s.descending);
        assert!(matches!(
            Sort::parse(Some("x")),
            Err(ReadError::InvalidSort)
        ));
    }
}
