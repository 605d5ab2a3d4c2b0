//! The admin view of the projections: state, leader, checkpoint, lag, last error and rebuild
//! progress of each, in one query (plus the held advisory locks).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::Checkpoint;
use serde::Serialize;
use sqlx::PgPool;

use crate::checkpoint::ProjectionState;
use crate::error::RuntimeError;
use crate::leadership::{lock_key, LOCK_NAMESPACE};
use crate::rebuild::{self, RebuildProgress};

/// One projection as an admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionStatus {
    pub name: String,
    pub version: i32,
    pub state: ProjectionState,
    /// The process that claimed it last (`host:pid:instance`).
    pub leader_id: Option<String>,
    /// Whether some session holds its advisory lock right now (a `running` row whose leader
    /// was killed shows `false` until a standby takes over).
    pub leader_alive: bool,
    pub checkpoint: Checkpoint,
    /// Events in the log after the checkpoint (head position minus checkpoint position).
    pub lag_events: u64,
    /// Age of the oldest event not yet applied; 0 when caught up.
    pub lag_seconds: f64,
    pub events_per_second: f64,
    pub last_error: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub rebuild: Option<RebuildProgress>,
}

struct StatusRow {
    name: String,
    version: i32,
    tx: i64,
    pos: i64,
    state: String,
    last_error: Option<String>,
    leader_id: Option<String>,
    last_event_at: Option<DateTime<Utc>>,
    events_per_second: f64,
    updated_at: DateTime<Utc>,
    lag_events: i64,
    lag_seconds: f64,
}

/// The head of the log: the highest global position. Reads the PostgreSQL store's `events`
/// table directly (a primary-key lookup); lag figures are approximate by nature.
pub async fn head_position(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let head: i64 =
        sqlx::query_scalar!(r#"select coalesce(max(global_position), 0) as "head!" from events"#)
            .fetch_one(pool)
            .await?;
    Ok(head.max(0) as u64)
}

/// Every known projection, by name.
pub async fn status(pool: &PgPool) -> Result<Vec<ProjectionStatus>, RuntimeError> {
    let rows = sqlx::query_as!(
        StatusRow,
        "select c.name, c.version, c.tx, c.pos, c.state, c.last_error, c.leader_id, \
                c.last_event_at, c.events_per_second, c.updated_at, \
                greatest(h.head - c.pos, 0) as \"lag_events!\", \
                coalesce(extract(epoch from now() - ( \
                    select e.recorded_at from events e where e.global_position > c.pos \
                    order by e.global_position limit 1))::float8, 0) as \"lag_seconds!\" \
         from projection_checkpoints c \
         cross join (select coalesce(max(global_position), 0) as head from events) h \
         order by c.name"
    )
    .fetch_all(pool)
    .await?;
    let held: HashSet<i64> = sqlx::query_scalar!(
        "select objid::int8 as \"objid!\" from pg_locks \
         where locktype = 'advisory' and granted and objsubid = 2 \
           and database = (select oid from pg_database where datname = current_database()) \
           and classid = $1::int4::oid",
        LOCK_NAMESPACE
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = i64::from(lock_key(&r.name) as u32);
        let rebuild = rebuild::progress(pool, &r.name).await?;
        out.push(ProjectionStatus {
            state: ProjectionState::parse(&r.state).unwrap_or(ProjectionState::Standby),
            leader_alive: held.contains(&key),
            checkpoint: Checkpoint {
                tx: r.tx.max(0) as u64,
                pos: r.pos.max(0) as u64,
            },
            lag_events: r.lag_events.max(0) as u64,
            lag_seconds: r.lag_seconds.max(0.0),
            name: r.name,
            version: r.version,
            leader_id: r.leader_id,
            events_per_second: r.events_per_second,
            last_error: r.last_error,
            last_event_at: r.last_event_at,
            updated_at: r.updated_at,
            rebuild,
        });
    }
    Ok(out)
}

/// One projection's status, `None` when it never ran.
pub async fn status_of(
    pool: &PgPool,
    name: &str,
) -> Result<Option<ProjectionStatus>, RuntimeError> {
    Ok(status(pool).await?.into_iter().find(|s| s.name == name))
}
