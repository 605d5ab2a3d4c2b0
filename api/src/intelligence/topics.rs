//! Reads of the `topics` and `document_processing` read models for the routes.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::dto::{DocumentTopicsDto, TopicDto};
use crate::error::ApiError;

#[derive(Debug, Clone, sqlx::FromRow)]
struct TopicRow {
    topic_id: Uuid,
    owner_id: Option<Uuid>,
    name: Option<String>,
    keywords: Vec<String>,
    shadows: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TopicRow> for TopicDto {
    fn from(r: TopicRow) -> Self {
        TopicDto {
            id: r.topic_id,
            name: r.name.unwrap_or_else(|| "[erased]".into()),
            keywords: r.keywords,
            system: r.owner_id.is_none(),
            shadows: r.shadows,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Topics `user` sees: their own and the system topics they have not shadowed.
const VISIBLE: &str = "(t.owner_id = $1 or (t.owner_id is null and not exists ( \
     select 1 from topics u where u.owner_id = $1 and u.shadows = t.topic_id)))";

pub async fn visible_topics(pool: &PgPool, user: Uuid) -> Result<Vec<TopicDto>, ApiError> {
    let rows: Vec<TopicRow> = sqlx::query_as(&format!(
        "select t.* from topics t where {VISIBLE} order by lower(t.name), t.topic_id"
    ))
    .bind(user)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One topic `user` sees (their own, or a system topic, shadowed or not: it can be edited by an
/// admin and a shadow can be created for it).
pub async fn topic(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Option<TopicDto>, ApiError> {
    let row: Option<TopicRow> = sqlx::query_as(
        "select t.* from topics t where t.topic_id = $2 and (t.owner_id = $1 or t.owner_id is null)",
    )
    .bind(user)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// The ids among `ids` that `user` may not assign (not visible to them, or missing).
pub async fn unknown_topics(
    pool: &PgPool,
    user: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    let known: Vec<Uuid> = sqlx::query_scalar(&format!(
        "select t.topic_id from topics t where t.topic_id = any($2) and {VISIBLE}"
    ))
    .bind(user)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(ids.iter().filter(|i| !known.contains(i)).copied().collect())
}

#[derive(sqlx::FromRow)]
struct ProcessingRow {
    status: String,
    topic_ids: Vec<Uuid>,
    suggested: Vec<Uuid>,
    topics_source: Option<String>,
    extraction: Option<String>,
    provider: Option<String>,
    fell_back: Option<bool>,
    last_error: Option<String>,
}

/// A document's processing state (the caller has checked it may see it); `status` is the
/// document's own (`uploaded` until processing starts).
pub async fn document_topics(
    pool: &PgPool,
    document: Uuid,
    status: String,
) -> Result<DocumentTopicsDto, ApiError> {
    let row: Option<ProcessingRow> = sqlx::query_as(
        "select status, topic_ids, suggested, topics_source, extraction, provider, fell_back, \
             last_error from document_processing where document_id = $1",
    )
    .bind(document)
    .fetch_optional(pool)
    .await?;
    // The status comes from the same row as the rest of the answer: the documents read model
    // (where `status` was read) is another projection and may be ahead of this one, and a
    // `ready` beside the previous run's topics would be a torn answer.
    Ok(match row {
        Some(r) => DocumentTopicsDto {
            document_id: document,
            status: match (r.status.as_str(), status.as_str()) {
                // Trashed or pending documents say so; an active one is being processed.
                ("pending", "uploaded" | "processing" | "ready" | "error") => "processing".into(),
                ("pending", _) => status,
                _ => r.status,
            },
            topic_ids: r.topic_ids,
            suggested: r.suggested,
            topics_source: r.topics_source,
            extraction: r.extraction,
            provider: r.provider,
            fell_back: r.fell_back,
            last_error: r.last_error,
        },
        None => DocumentTopicsDto {
            document_id: document,
            status: if matches!(status.as_str(), "ready" | "error") {
                "processing".to_owned()
            } else {
                status
            },
            topic_ids: vec![],
            suggested: vec![],
            topics_source: None,
            extraction: None,
            provider: None,
            fell_back: None,
            last_error: None,
        },
    })
}
