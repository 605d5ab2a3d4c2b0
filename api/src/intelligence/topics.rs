//! The topic API's reads of the topics and processing read models (through [`TopicsQuery`] and
//! [`ProcessingQuery`]), mapped to its DTOs.

use projections::processing::ProcessingQuery;
use projections::topics::{TopicRow, TopicsQuery};
use uuid::Uuid;

use super::dto::{DocumentTopicsDto, TopicDto};
use crate::error::ApiError;

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
pub async fn visible_topics(q: &dyn TopicsQuery, user: Uuid) -> Result<Vec<TopicDto>, ApiError> {
    let rows = q.visible_topics(user).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One topic `user` sees (their own, or a system topic, shadowed or not: it can be edited by an
/// admin and a shadow can be created for it).
pub async fn topic(
    q: &dyn TopicsQuery,
    user: Uuid,
    id: Uuid,
) -> Result<Option<TopicDto>, ApiError> {
    Ok(q.topic(user, id).await?.map(Into::into))
}

/// A document's processing state (the caller has checked it may see it); `status` is the
/// document's own (`uploaded` until processing starts).
pub async fn document_topics(
    q: &dyn ProcessingQuery,
    document: Uuid,
    status: String,
) -> Result<DocumentTopicsDto, ApiError> {
    let row = q.document_processing(document).await?;
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
