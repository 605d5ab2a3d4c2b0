//! The identity read model's queries on PostgreSQL ([`UserReads`]): primary-key look-ups of the
//! `users` table, and the admin listing, a keyset page by id with the quota read model joined in
//! so the admin sees everyone's usage without a request per user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use projections::users::query::{AdminUserRow, AuthFacts, UserReads, UserRow};
use projections::ReadError;
use sqlx::PgPool;
use uuid::Uuid;

use super::database;

struct AuthRow {
    role: String,
    is_active: bool,
    not_before: Option<DateTime<Utc>>,
    last_position: i64,
}

struct Row {
    id: Uuid,
    email: Option<String>,
    handle: String,
    role: String,
    is_active: bool,
    totp_enabled: bool,
    created_at: DateTime<Utc>,
}

impl From<Row> for UserRow {
    fn from(r: Row) -> Self {
        UserRow {
            id: r.id,
            email: r.email,
            handle: r.handle,
            role: r.role,
            is_active: r.is_active,
            totp_enabled: r.totp_enabled,
            created_at: r.created_at,
        }
    }
}

struct AdminRow {
    id: Uuid,
    email: Option<String>,
    handle: String,
    role: String,
    is_active: bool,
    totp_enabled: bool,
    created_at: DateTime<Utc>,
    quota_limit: Option<i64>,
    quota_used: i64,
    quota_reserved: i64,
}

/// [`UserReads`] over the read-model pool.
#[derive(Clone)]
pub struct PgUserReads {
    pool: PgPool,
}

impl PgUserReads {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl UserReads for PgUserReads {
    async fn auth_facts(&self, user: Uuid) -> Result<Option<AuthFacts>, ReadError> {
        let row = sqlx::query_as!(
            AuthRow,
            "select role, is_active, not_before, last_position from users where id = $1",
            user
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        Ok(row.map(|r| AuthFacts {
            role: r.role,
            is_active: r.is_active,
            not_before: r.not_before,
            last_position: r.last_position.max(0) as u64,
        }))
    }

    async fn user(&self, user: Uuid) -> Result<Option<UserRow>, ReadError> {
        let row = sqlx::query_as!(
            Row,
            "select id, email, handle, role, is_active, totp_enabled, created_at \
             from users where id = $1",
            user
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        Ok(row.map(UserRow::from))
    }

    async fn admin_page(
        &self,
        after: Option<Uuid>,
        text: Option<&str>,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<AdminUserRow>, ReadError> {
        let pattern = text.map(|t| format!("%{}%", super::escape_like(&t.to_lowercase())));
        // The quota read model joined in, so the admin sees everyone's usage without a request
        // per user; reserved is what unconfirmed, unexpired uploads hold.
        let rows = sqlx::query_as!(
            AdminRow,
            r#"select u.id, u.email, u.handle, u.role, u.is_active, u.totp_enabled, u.created_at,
                   q.limit_bytes as "quota_limit?",
                   coalesce(q.used_bytes, 0) as "quota_used!",
                   (select coalesce(sum(d.size_bytes), 0)::int8 from documents d
                     where d.owner_id = u.id and d.state = 'pending'
                       and d.upload_expires_at > $4) as "quota_reserved!"
               from users u left join quotas q on q.user_id = u.id
               where ($1::uuid is null or u.id > $1)
                 and ($2::text is null or lower(u.handle) like $2 or u.email like $2)
               order by u.id limit $3"#,
            after,
            pattern.as_deref(),
            limit,
            now
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|r| AdminUserRow {
                user: UserRow {
                    id: r.id,
                    email: r.email,
                    handle: r.handle,
                    role: r.role,
                    is_active: r.is_active,
                    totp_enabled: r.totp_enabled,
                    created_at: r.created_at,
                },
                quota_limit: r.quota_limit,
                quota_used: r.quota_used,
                quota_reserved: r.quota_reserved,
            })
            .collect())
    }
}
