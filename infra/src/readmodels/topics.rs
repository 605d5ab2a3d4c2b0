//! The topics read model, read for the topic API: the PostgreSQL implementation of
//! [`projections::topics::TopicsQuery`] over the `topics` table.

use async_trait::async_trait;
use projections::topics::{TopicRow, TopicsQuery};
use projections::ReadError;
use sqlx::PgPool;
use uuid::Uuid;

/// [`TopicsQuery`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgTopics {
    pool: PgPool,
}

impl PgTopics {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// `sqlx::$query!` on `$head`, the condition that topic `t` is one `user` ($1) sees (their own,
/// or a system topic they have not shadowed), and `$tail`: one literal, so it is compile-checked.
macro_rules! visible {
    ($query:ident!($($record:ident,)? $head:literal, $tail:literal $(, $arg:expr)*)) => {
        sqlx::$query!(
            $($record,)?
            $head
                + "(t.owner_id = $1 or (t.owner_id is null and not exists ( \
                   select 1 from topics u where u.owner_id = $1 and u.shadows = t.topic_id)))"
                + $tail
            $(, $arg)*
        )
    };
}

#[async_trait]
impl TopicsQuery for PgTopics {
    async fn visible_topics(&self, user: Uuid) -> Result<Vec<TopicRow>, ReadError> {
        visible!(query_as!(
            TopicRow,
            "select t.* from topics t where ",
            " order by lower(t.name), t.topic_id",
            user
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(super::database)
    }

    async fn topic(&self, user: Uuid, id: Uuid) -> Result<Option<TopicRow>, ReadError> {
        sqlx::query_as!(
            TopicRow,
            "select t.* from topics t where t.topic_id = $2 and (t.owner_id = $1 or t.owner_id is null)",
            user,
            id
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(super::database)
    }

    async fn unknown_topics(&self, user: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>, ReadError> {
        let known: Vec<Uuid> = visible!(query_scalar!(
            "select t.topic_id from topics t where t.topic_id = any($2) and ",
            "",
            user,
            ids
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(super::database)?;
        Ok(ids.iter().filter(|i| !known.contains(i)).copied().collect())
    }
}
