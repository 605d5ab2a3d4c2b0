//! The audit index's queries on PostgreSQL ([`AuditReads`]): keyset pages over `audit_events`
//! (one statement per order, the filters shared), the documents a user was a subject of, and
//! the users' handles (the identity read model's statement, shared with the documents reads).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use projections::audit::query::{AuditReads, IndexRow, Order, Selection};
use projections::ReadError;
use sqlx::PgPool;
use uuid::Uuid;

use super::database;

struct Row {
    position: i64,
    actor_id: Option<Uuid>,
    subject_users: Vec<Uuid>,
    document_id: Option<Uuid>,
}

/// [`AuditReads`] over the read-model pool.
#[derive(Clone)]
pub struct PgAuditReads {
    pool: PgPool,
}

impl PgAuditReads {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl AuditReads for PgAuditReads {
    async fn page(
        &self,
        sel: &Selection,
        order: Order,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<IndexRow>, ReadError> {
        // One statement per order (the filters are the same; a null parameter matches all).
        let rows = match order {
            Order::Newest => {
                sqlx::query_as!(
                    Row,
                    "select position, actor_id, subject_users, document_id from audit_events \
                     where ($1::uuid is null or actor_id = $1) \
                       and ($2::uuid is null or subject_users @> array[$2::uuid]) \
                       and ($3::uuid is null or document_id = $3) \
                       and ($4::text[] is null or event_type = any($4)) \
                       and ($5::timestamptz is null or recorded_at >= $5) \
                       and ($6::timestamptz is null or recorded_at < $6) \
                       and ($7::int8 is null or position < $7) \
                     order by position desc limit $8",
                    sel.actor,
                    sel.subject_user,
                    sel.document_id,
                    sel.types.as_deref(),
                    sel.from,
                    sel.to,
                    after,
                    limit
                )
                .fetch_all(&self.pool)
                .await
            }
            Order::Oldest => {
                sqlx::query_as!(
                    Row,
                    "select position, actor_id, subject_users, document_id from audit_events \
                     where ($1::uuid is null or actor_id = $1) \
                       and ($2::uuid is null or subject_users @> array[$2::uuid]) \
                       and ($3::uuid is null or document_id = $3) \
                       and ($4::text[] is null or event_type = any($4)) \
                       and ($5::timestamptz is null or recorded_at >= $5) \
                       and ($6::timestamptz is null or recorded_at < $6) \
                       and ($7::int8 is null or position > $7) \
                     order by position limit $8",
                    sel.actor,
                    sel.subject_user,
                    sel.document_id,
                    sel.types.as_deref(),
                    sel.from,
                    sel.to,
                    after,
                    limit
                )
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|r| IndexRow {
                position: r.position,
                actor_id: r.actor_id,
                subject_users: r.subject_users,
                document_id: r.document_id,
            })
            .collect())
    }

    async fn documents_of(&self, user: Uuid, at: DateTime<Utc>) -> Result<Vec<Uuid>, ReadError> {
        sqlx::query_scalar!(
            r#"select distinct document_id as "document_id!" from audit_events
               where subject_users @> array[$1::uuid] and document_id is not null
                 and recorded_at <= $2
               order by 1"#,
            user,
            at
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)
    }

    async fn handles(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ReadError> {
        super::documents::handles(&self.pool, ids).await
    }
}
