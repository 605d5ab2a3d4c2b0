//! The JSON shapes of topics, document topics and search (a fixed contract for the SPA).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::documents::dto::OwnerRef;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TopicDto {
    pub id: Uuid,
    pub name: String,
    /// Keyword rules: a whole-word (or phrase) match in a document assigns the topic.
    pub keywords: Vec<String>,
    /// A system default topic (admin-managed); `false` for the caller's own.
    pub system: bool,
    /// The system topic this one replaces in its owner's view.
    pub shadows: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateTopicRequest {
    pub name: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A system topic to shadow (replace in the caller's own view).
    #[serde(default)]
    pub shadows: Option<Uuid>,
    /// Admins only: create a system default topic, visible to every user.
    #[serde(default)]
    pub system: bool,
}

/// Absent fields stay unchanged.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateTopicRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SetTopicsRequest {
    pub topic_ids: Vec<Uuid>,
}

/// A document's processing and topics, as its owner sees them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentTopicsDto {
    pub document_id: Uuid,
    /// `uploaded`, `processing`, `ready` or `error`.
    pub status: String,
    pub topic_ids: Vec<Uuid>,
    /// The classifier's latest suggestion.
    pub suggested: Vec<Uuid>,
    /// `auto`, `accepted` or `overridden`; `null` before the first classification.
    pub topics_source: Option<String>,
    /// `native`, `ocr`, `ocr_unavailable`, `unsupported` or `empty`; `null` before extraction.
    pub extraction: Option<String>,
    /// The provider that made the latest suggestion, and whether it was the fallback.
    pub provider: Option<String>,
    pub fell_back: Option<bool>,
    /// A stable code of the last failure (`corrupt`, `timeout`, …).
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHitDto {
    pub id: Uuid,
    /// `null` once the owner's data was erased.
    pub filename: Option<String>,
    pub folder_id: Option<Uuid>,
    pub owner: OwnerRef,
    pub created_at: DateTime<Utc>,
    pub topic_ids: Vec<Uuid>,
    pub rank: f32,
    /// HTML-escaped text around the matches, each match in `<mark>…</mark>`.
    pub snippet: String,
    /// Shared with the caller rather than owned.
    pub shared: bool,
    /// Among the query's ranked matches (best first). `false` for the matches after them,
    /// which a broad query lists newest first.
    pub ranked: bool,
}
