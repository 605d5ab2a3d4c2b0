//! The `projection_checkpoints` row: where a projection is in the log, its state, its leader.
//!
//! Every write a leader makes is fenced by `leader_id`, so a process that lost its advisory lock
//! without noticing can never commit over its successor.

use chrono::{DateTime, Utc};
use domain::Checkpoint;
use sqlx::{PgConnection, PgPool};

use crate::error::RuntimeError;

/// Channel notified (payload: projection name) when a checkpoint moves; the consistency waiter
/// listens to it.
pub const CHECKPOINT_CHANNEL: &str = "docuvault_checkpoints";
/// Channel notified (payload: projection name) on `resume` and rebuild requests, so an idle
/// leader reacts at once rather than at its next poll.
pub const CONTROL_CHANNEL: &str = "docuvault_projection_control";

/// The lifecycle state shown to admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionState {
    /// A leader applies events as they arrive.
    Running,
    /// A handler failed; nothing moves until `resume` (or a rebuild) clears it.
    Halted,
    /// The leader is building shadow tables; the live tables are still served and updated.
    Rebuilding,
    /// No process leads the projection at the moment.
    Standby,
}

impl ProjectionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Halted => "halted",
            Self::Rebuilding => "rebuilding",
            Self::Standby => "standby",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "halted" => Self::Halted,
            "rebuilding" => Self::Rebuilding,
            "standby" => Self::Standby,
            _ => return None,
        })
    }
}

/// One row of `projection_checkpoints`.
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    pub name: String,
    pub version: i32,
    pub tx: i64,
    pub pos: i64,
    pub state: String,
    pub last_error: Option<String>,
    pub leader_id: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub events_per_second: f64,
    pub updated_at: DateTime<Utc>,
}

impl CheckpointRow {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            tx: self.tx as u64,
            pos: self.pos as u64,
        }
    }

    pub fn state(&self) -> ProjectionState {
        ProjectionState::parse(&self.state).unwrap_or(ProjectionState::Standby)
    }
}

/// `sqlx::query_as!` into a [`CheckpointRow`] on `$head`, the row's columns, and `$tail`: one
/// literal, so it is compile-checked.
macro_rules! checkpoint_row {
    ($head:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            CheckpointRow,
            $head
                + "name, version, tx, pos, state, last_error, leader_id, last_event_at, \
                   events_per_second, updated_at"
                + $tail
            $(, $arg)*
        )
    };
}

/// A `u64` checkpoint component as stored (bigint). Transaction ids and positions stay far below
/// 2^63; saturating keeps a corrupt value from wrapping to a negative one.
pub(crate) fn db_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Creates the row on first sight of a projection (at the start of the log, at `version`).
pub(crate) async fn ensure(pool: &PgPool, name: &str, version: u32) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into projection_checkpoints (name, version) values ($1, $2) \
         on conflict (name) do nothing",
        name,
        version as i32
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The row of one projection, if it exists.
pub async fn load(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<CheckpointRow>, sqlx::Error> {
    checkpoint_row!(
        "select ",
        " from projection_checkpoints where name = $1",
        name
    )
    .fetch_optional(conn)
    .await
}

/// Records `leader` as the projection's leader (the caller holds the advisory lock). A halted
/// projection stays halted; anything else becomes `running`.
pub(crate) async fn take_over(
    pool: &PgPool,
    name: &str,
    leader: &str,
) -> Result<CheckpointRow, RuntimeError> {
    checkpoint_row!(
        "update projection_checkpoints \
         set leader_id = $2, \
             state = case when state = 'halted' then 'halted' else 'running' end, \
             updated_at = now() \
         where name = $1 returning ",
        "",
        name,
        leader
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| RuntimeError::UnknownProjection(name.to_owned()))
}

/// What a committed checkpoint move tells the leader.
#[derive(Debug, Clone)]
pub(crate) struct Advanced {
    /// `projection_rebuilds.state` of this projection, if any: a pending request is noticed here.
    pub rebuild_state: Option<String>,
}

/// Moves the checkpoint from `from` to `to` inside the caller's transaction, fenced by the leader
/// id and by the expected previous checkpoint, and notifies waiters at commit.
pub(crate) async fn advance(
    conn: &mut PgConnection,
    name: &str,
    leader: &str,
    from: Checkpoint,
    to: Checkpoint,
    last_event_at: DateTime<Utc>,
    rate: f64,
) -> Result<Advanced, RuntimeError> {
    // One round trip: the update, the rebuild-request peek and the notification.
    sqlx::query_as!(
        Advanced,
        "with moved as ( \
             update projection_checkpoints c \
             set tx = $5, pos = $6, last_event_at = $7, events_per_second = $8, updated_at = now() \
             where c.name = $1 and c.leader_id = $2 and c.tx = $3 and c.pos = $4 \
             returning c.name, \
                 (select r.state from projection_rebuilds r where r.name = c.name) as rebuild_state) \
         select moved.rebuild_state from moved, pg_notify($9, moved.name)",
        name,
        leader,
        db_u64(from.tx),
        db_u64(from.pos),
        db_u64(to.tx),
        db_u64(to.pos),
        last_event_at,
        rate,
        CHECKPOINT_CHANNEL
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| RuntimeError::LostLeadership(name.to_owned()))
}

/// Sets the state (fenced by the leader id), e.g. `rebuilding` and back.
pub(crate) async fn set_state(
    conn: &mut PgConnection,
    name: &str,
    leader: &str,
    state: ProjectionState,
) -> Result<(), RuntimeError> {
    let done = sqlx::query!(
        "update projection_checkpoints set state = $3, updated_at = now() \
         where name = $1 and leader_id = $2",
        name,
        leader,
        state.as_str()
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(RuntimeError::LostLeadership(name.to_owned()));
    }
    Ok(())
}

/// Halts the projection with `error` (fenced by the leader id). Nothing moves until `resume`.
pub(crate) async fn halt(
    pool: &PgPool,
    name: &str,
    leader: &str,
    error: &str,
) -> Result<(), RuntimeError> {
    let done = sqlx::query!(
        "update projection_checkpoints \
         set state = 'halted', last_error = $3, events_per_second = 0, updated_at = now() \
         where name = $1 and leader_id = $2",
        name,
        leader,
        error
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(RuntimeError::LostLeadership(name.to_owned()));
    }
    Ok(())
}

/// Clears a halt so the leader retries the batch that failed. Returns whether the projection was
/// halted. Call it after deploying a fix (or when the cause was outside the code).
pub async fn resume(pool: &PgPool, name: &str) -> Result<bool, RuntimeError> {
    let mut tx = pool.begin().await?;
    let exists: Option<String> = sqlx::query_scalar!(
        "select state from projection_checkpoints where name = $1 for update",
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(state) = exists else {
        return Err(RuntimeError::UnknownProjection(name.to_owned()));
    };
    if state != ProjectionState::Halted.as_str() {
        return Ok(false);
    }
    sqlx::query!(
"update projection_checkpoints set state = 'running', last_error = null, updated_at = now() \
         where name = $1",
name
)
    .execute(&mut *tx)
    .await?;
    sqlx::query!("select pg_notify($1, $2)", CONTROL_CHANNEL, name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Gives the projection up on a clean stop: no leader, `standby` unless halted.
pub(crate) async fn release(pool: &PgPool, name: &str, leader: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update projection_checkpoints \
         set leader_id = null, events_per_second = 0, updated_at = now(), \
             state = case when state = 'halted' then 'halted' else 'standby' end \
         where name = $1 and leader_id = $2",
        name,
        leader
    )
    .execute(pool)
    .await?;
    Ok(())
}
