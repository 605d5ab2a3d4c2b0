//! The `topics` projection: system and per-user topics with their (decrypted) names and keywords.

use async_trait::async_trait;
use domain::topic::{Topic, TopicEvent};
use domain::{Aggregate, RecordedEvent};
use sqlx::PgConnection;

use crate::projection::{Projection, ProjectionError};

pub struct TopicsProjection;

#[async_trait]
impl Projection for TopicsProjection {
    fn name(&self) -> &str {
        "topics"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["topics"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            if event.stream_id.category() != Topic::CATEGORY {
                continue;
            }
            let id = event
                .stream_id
                .id()
                .ok_or_else(|| ProjectionError::handler(event, "topic stream without an id"))?;
            let decoded: TopicEvent = event
                .decode()
                .map_err(|e| ProjectionError::decode(event, e))?;
            let at = event.recorded_at;
            match decoded {
                TopicEvent::TopicCreated {
                    owner,
                    name,
                    keywords,
                    shadows,
                    ..
                } => {
                    sqlx::query!(
                        "insert into topics (topic_id, owner_id, name, keywords, shadows, \
                             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) \
                         on conflict on constraint topics_pkey do nothing",
                        id,
                        owner.map(|o| o.as_uuid()),
                        name.into_value(),
                        &keywords.into_value().unwrap_or_default(),
                        shadows.map(|s| s.as_uuid()),
                        at
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                TopicEvent::TopicRenamed { name } => {
                    sqlx::query!(
                        "update topics set name = $2, updated_at = $3 where topic_id = $1",
                        id,
                        name.into_value(),
                        at
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                TopicEvent::TopicKeywordsChanged { keywords } => {
                    sqlx::query!(
                        "update topics set keywords = $2, updated_at = $3 where topic_id = $1",
                        id,
                        &keywords.into_value().unwrap_or_default(),
                        at
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                TopicEvent::TopicDeleted {} => {
                    sqlx::query!("delete from topics where topic_id = $1", id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(())
    }
}
