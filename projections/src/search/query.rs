//! The search read model's query port: what a search asks (`SearchQuery`), what it answers
//! (`SearchPage` of `SearchHit`s), and the trait the query API calls. The PostgreSQL
//! implementation (the planner and its SQL) is `infra::readmodels::search`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::UserId;
use uuid::Uuid;

use crate::ReadError;

/// Full-text search over `search_documents`, as the query API sees it.
///
/// Contract: a query without a caller answers an empty page; only documents the caller owns
/// (with `only_owned`) or owns or has been shared (without it) are returned, uploaded and not
/// trashed; an invalid cursor starts from the first page. Errors are infrastructure failures.
#[async_trait]
pub trait SearchReader: Send + Sync {
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ReadError>;
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub caller: Option<UserId>,
    pub q: String,
    pub folder_id: Option<Uuid>,
    pub topic: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub cursor: Option<String>,
    /// Only the caller's own documents (the document listing's `q`), not those shared with them.
    pub only_owned: bool,
    /// How to find the text candidates; `None` (what the API uses) picks the cheapest from the
    /// statistics. Set by tests that check every strategy finds the same.
    pub strategy: Option<Strategy>,
    /// How many of the caller's documents a walk tests at most; `None` (what the API uses): the
    /// implementation's limit. Set by tests of what happens past it.
    pub walk_limit: Option<u32>,
    /// Whether the tail after the ranked candidates is walked; `None` (what the API uses):
    /// estimated from the statistics. Set by tests that check both ways find the same.
    pub tail_walks: Option<bool>,
}

/// How a search finds its text candidates. Every strategy finds the same matches when they are
/// fewer than the candidates ranked; they differ in cost, and in which sample of a broader
/// query's matches is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The tiered GIN indexes answer the whole query (most queries).
    Index,
    /// The caller's newest documents, tested one by one (queries matching most documents).
    Walk,
    /// The index for the words, the last word's prefix tested on their rows (a prefix broader
    /// than the words before it); for stopwords only, the filenames' index.
    WordThenPrefix,
    /// All the caller's documents tested one by one, every match ranked (a caller with few
    /// documents in a table of many callers': the index would be read for everybody's).
    Whole,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub document_id: Uuid,
    pub owner_id: Uuid,
    pub filename: Option<String>,
    pub folder_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub topic_ids: Vec<Uuid>,
    pub rank: f32,
    /// HTML-escaped text around the matches, each match in `<mark>…</mark>`.
    pub snippet: String,
    /// The caller does not own it: it was shared with them.
    pub shared: bool,
    /// Among the query's ranked candidates; else in the tail of its other matches (newest
    /// first, after all the ranked ones).
    pub ranked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}
