//! Which audit entries a filter selects: keyset pages over the `audit_events` index.

use chrono::{DateTime, Utc};
use domain::audit::AuditSelection;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// Newest or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Newest,
    Oldest,
}

/// The filters of an audit query or export (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub actor: Option<Uuid>,
    pub subject_user: Option<Uuid>,
    pub document_id: Option<Uuid>,
    /// One or more event types (any of them).
    pub types: Option<Vec<String>>,
    /// Inclusive lower bound of `recorded_at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound of `recorded_at`.
    pub to: Option<DateTime<Utc>>,
}

impl Selection {
    /// The form recorded in the audit-access event.
    pub fn recorded(&self) -> AuditSelection {
        AuditSelection {
            actor: self.actor,
            subject_user: self.subject_user,
            document_id: self.document_id,
            event_type: self.types.as_ref().map(|t| t.join(",")),
            from: self.from,
            to: self.to,
        }
    }
}

/// One selected entry of the index.
#[derive(Debug, Clone, FromRow)]
pub struct IndexRow {
    pub position: i64,
    pub actor_id: Option<Uuid>,
    pub subject_users: Vec<Uuid>,
    pub document_id: Option<Uuid>,
}

const FILTER: &str = "($1::uuid is null or actor_id = $1) \
     and ($2::uuid is null or subject_users @> array[$2::uuid]) \
     and ($3::uuid is null or document_id = $3) \
     and ($4::text[] is null or event_type = any($4)) \
     and ($5::timestamptz is null or recorded_at >= $5) \
     and ($6::timestamptz is null or recorded_at < $6)";

/// Up to `limit` entries after the keyset position `after` (exclusive) in `order`.
pub async fn page(
    pool: &PgPool,
    sel: &Selection,
    order: Order,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<IndexRow>, sqlx::Error> {
    let sql = match order {
        Order::Newest => format!(
            "select position, actor_id, subject_users, document_id from audit_events \
             where {FILTER} and ($7::int8 is null or position < $7) \
             order by position desc limit $8"
        ),
        Order::Oldest => format!(
            "select position, actor_id, subject_users, document_id from audit_events \
             where {FILTER} and ($7::int8 is null or position > $7) \
             order by position limit $8"
        ),
    };
    sqlx::query_as::<_, IndexRow>(&sql)
        .bind(sel.actor)
        .bind(sel.subject_user)
        .bind(sel.document_id)
        .bind(sel.types.as_deref())
        .bind(sel.from)
        .bind(sel.to)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}
