//! Blue/green rebuilds: replay the whole log into shadow tables while the live tables keep being
//! served and updated, catch up, then swap atomically and move the checkpoint in the same
//! transaction.
//!
//! A rebuild is carried out by the projection's leader (it holds the advisory lock, so nobody
//! else writes the projection meanwhile). `rebuild` (the CLI) does it itself when no process
//! leads the projection, otherwise it files a request and follows the leader's progress row.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::ports::{EventStore, StoreError};
use domain::{Checkpoint, RecordedEvent};
use serde::Serialize;
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};

use crate::checkpoint::{self, ProjectionState, CHECKPOINT_CHANNEL, CONTROL_CHANNEL};
use crate::error::RuntimeError;
use crate::leader::Leader;
use crate::leadership::LeaderLock;
use crate::metrics;
use crate::projection::{validate_name, Projection};
use crate::runtime::{RuntimeOptions, Shared};
use crate::shadow::{quote_ident, Shadow};

/// Where a rebuild is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildState {
    Requested,
    Running,
    Swapping,
    Done,
    Failed,
}

impl RebuildState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Running => "running",
            Self::Swapping => "swapping",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "requested" => Self::Requested,
            "running" => Self::Running,
            "swapping" => Self::Swapping,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// Progress of a rebuild, as reported to the callback and stored in `projection_rebuilds`.
#[derive(Debug, Clone, Serialize)]
pub struct RebuildProgress {
    pub name: String,
    pub state: RebuildState,
    pub events_done: u64,
    /// The log's head position when last sampled (grows under live writes).
    pub events_total: u64,
    pub events_per_second: f64,
    pub eta_seconds: Option<f64>,
    pub error: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A progress callback (e.g. an indicatif bar in the CLI).
pub type ProgressFn = Arc<dyn Fn(&RebuildProgress) + Send + Sync>;

struct ProgressRow {
    name: String,
    state: String,
    events_done: i64,
    events_total: i64,
    events_per_second: f64,
    eta_seconds: Option<f64>,
    error: Option<String>,
    requested_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<ProgressRow> for RebuildProgress {
    fn from(r: ProgressRow) -> Self {
        Self {
            name: r.name,
            state: RebuildState::parse(&r.state).unwrap_or(RebuildState::Failed),
            events_done: r.events_done.max(0) as u64,
            events_total: r.events_total.max(0) as u64,
            events_per_second: r.events_per_second,
            eta_seconds: r.eta_seconds,
            error: r.error,
            requested_at: r.requested_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// The last rebuild of `name` (running or finished), if any.
pub async fn progress(pool: &PgPool, name: &str) -> Result<Option<RebuildProgress>, sqlx::Error> {
    Ok(sqlx::query_as!(
        ProgressRow,
        "select name, state, events_done, events_total, events_per_second, eta_seconds, error, \
                requested_at, started_at, finished_at \
         from projection_rebuilds where name = $1",
        name
    )
    .fetch_optional(pool)
    .await?
    .map(Into::into))
}

/// Asks the projection's leader to rebuild it. Returns `false` when one is already pending or
/// in progress (the request is then already served).
pub async fn request(pool: &PgPool, name: &str) -> Result<bool, RuntimeError> {
    let mut tx = pool.begin().await?;
    let filed = sqlx::query!(
        "insert into projection_rebuilds as r (name, state) values ($1, 'requested') \
         on conflict (name) do update set state = 'requested', requested_at = now(), \
             started_at = null, finished_at = null, events_done = 0, events_total = 0, \
             events_per_second = 0, eta_seconds = null, error = null, updated_at = now() \
         where r.state in ('done', 'failed')",
        name
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    sqlx::query!("select pg_notify($1, $2)", CONTROL_CHANNEL, name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(filed)
}

/// Whether a rebuild waits for the leader: requested, or started by a leader that died.
pub(crate) async fn pending(pool: &PgPool, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from projection_rebuilds
                        where name = $1 and state in ('requested', 'running', 'swapping'))
                    as "pending!""#,
        name
    )
    .fetch_one(pool)
    .await
}

/// Rebuilds `projection` and returns once it is done: in this process when no other process
/// leads the projection, otherwise through its leader (following the progress row). Progress is
/// reported to `on_progress` about twice a second.
pub async fn rebuild(
    pool: &PgPool,
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    options: RuntimeOptions,
    on_progress: ProgressFn,
) -> Result<RebuildProgress, RuntimeError> {
    let name = projection.name().to_owned();
    validate_name(&name).map_err(RuntimeError::Invalid)?;
    checkpoint::ensure(pool, &name, projection.version()).await?;
    request(pool, &name).await?;
    let shared = Arc::new(Shared {
        pool: pool.clone(),
        store,
        options,
    });
    let mut last_seen: Option<(String, u64)> = None;
    let mut stalled_since = Instant::now();
    let mut try_lock = true;
    loop {
        let current = progress(pool, &name).await?;
        if let Some(p) = &current {
            on_progress(p);
            match p.state {
                RebuildState::Done => return Ok(p.clone()),
                RebuildState::Failed => {
                    return Err(RuntimeError::RebuildFailed {
                        name,
                        reason: p.error.clone().unwrap_or_default(),
                    })
                }
                _ => {}
            }
            let seen = (p.state.as_str().to_owned(), p.events_done);
            if last_seen.as_ref() != Some(&seen) {
                last_seen = Some(seen);
                stalled_since = Instant::now();
            }
        }
        // Nobody leads it (first attempt), or its leader stopped making progress and let go:
        // do it here.
        if try_lock || stalled_since.elapsed() >= Duration::from_secs(2) {
            try_lock = false;
            if let Some(lock) = LeaderLock::try_acquire(pool, &name).await? {
                let mut leader = Leader::new(shared.clone(), projection.clone(), lock);
                let (_keep, stop) = watch::channel(false);
                let outcome = match leader.take_over().await {
                    Ok(()) => perform(&mut leader, Some(&on_progress), &stop).await,
                    Err(e) => Err(e),
                };
                leader.step_down().await;
                return outcome;
            }
            stalled_since = Instant::now();
        }
        // Followed at the runtime's poll interval, at least four times a second.
        tokio::time::sleep(shared.options.poll_interval.min(Duration::from_millis(250))).await;
    }
}

/// Carries out a pending rebuild as the projection's leader. On failure the live tables are
/// untouched and the projection goes back to its previous state.
pub(crate) async fn perform(
    leader: &mut Leader,
    on_progress: Option<&ProgressFn>,
    stop: &watch::Receiver<bool>,
) -> Result<RebuildProgress, RuntimeError> {
    let name = leader.name().to_owned();
    let pool = leader.shared.pool.clone();
    let was_halted = leader.halted;
    tracing::info!(projection = %name, "rebuild started");
    sqlx::query!(
"insert into projection_rebuilds as r (name, state, started_at) values ($1, 'running', now()) \
         on conflict (name) do update set state = 'running', started_at = now(), finished_at = null, \
             events_done = 0, events_total = 0, events_per_second = 0, eta_seconds = null, \
             error = null, updated_at = now()",
&name
)
    .execute(&pool)
    .await?;
    {
        let mut conn = pool.acquire().await?;
        checkpoint::set_state(&mut conn, &name, leader.id(), ProjectionState::Rebuilding).await?;
    }
    let outcome = build_and_swap(leader, on_progress, stop).await;
    match outcome {
        Ok(done) => {
            tracing::info!(projection = %name, events = done.events_done, "rebuild done");
            leader.halted = false;
            metrics::halted(&name, false);
            metrics::rebuild_finished(&name, true);
            Ok(done)
        }
        Err(e) => {
            if let Err(d) = Shadow::discard(&pool, &name).await {
                tracing::warn!(projection = %name, error = %d, "could not drop the shadow schema");
            }
            if matches!(e, RuntimeError::LostLeadership(_)) {
                // The row stays `running`: the new leader starts the rebuild over.
                return Err(e);
            }
            let (state, error) = match &e {
                // Stopped, not failed: whoever leads next starts it over.
                RuntimeError::ShutDown => (RebuildState::Requested, None),
                other => (RebuildState::Failed, Some(other.to_string())),
            };
            sqlx::query!(
                "update projection_rebuilds set state = $2, error = $3, \
                     finished_at = case when $2 = 'failed' then now() end, updated_at = now() \
                 where name = $1",
                &name,
                state.as_str(),
                error.as_deref()
            )
            .execute(&pool)
            .await?;
            let back = if leader.halted || was_halted {
                ProjectionState::Halted
            } else {
                ProjectionState::Running
            };
            let mut conn = pool.acquire().await?;
            checkpoint::set_state(&mut conn, &name, leader.id(), back).await?;
            match e {
                RuntimeError::ShutDown => Err(e),
                other => {
                    tracing::error!(projection = %name, error = %other, "rebuild failed; the live tables are unchanged");
                    metrics::rebuild_finished(&name, false);
                    Err(RuntimeError::RebuildFailed {
                        name,
                        reason: other.to_string(),
                    })
                }
            }
        }
    }
}

/// Throttled progress reporting to the row and the callback.
struct Tracker<'a> {
    name: String,
    started: Instant,
    last: Option<Instant>,
    total: u64,
    done: u64,
    on_progress: Option<&'a ProgressFn>,
}

impl Tracker<'_> {
    async fn report(
        &mut self,
        pool: &PgPool,
        store: &dyn EventStore,
        state: RebuildState,
        force: bool,
    ) -> Result<(), RuntimeError> {
        if !force
            && self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(500))
        {
            return Ok(());
        }
        self.last = Some(Instant::now());
        self.total = self.total.max(store.head_position().await?).max(self.done);
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done as f64 / elapsed;
        let eta = (rate > 0.0).then(|| self.total.saturating_sub(self.done) as f64 / rate);
        let row = sqlx::query_as!(
            ProgressRow,
            "update projection_rebuilds set state = $2, events_done = $3, events_total = $4, \
                 events_per_second = $5, eta_seconds = $6, updated_at = now() \
             where name = $1 \
             returning name, state, events_done, events_total, events_per_second, eta_seconds, \
                 error, requested_at, started_at, finished_at",
            &self.name,
            state.as_str(),
            checkpoint::db_u64(self.done),
            checkpoint::db_u64(self.total),
            rate,
            eta
        )
        .fetch_one(pool)
        .await?;
        if let Some(cb) = self.on_progress {
            cb(&row.into());
        }
        Ok(())
    }
}

/// Keeps the live tables current during a long rebuild: one live batch at most every 200 ms.
/// A live failure is recorded and ends live updates for this rebuild (the swap replaces the
/// tables anyway); it never fails the rebuild.
struct LiveKeeper {
    last: Instant,
    broken: bool,
}

impl LiveKeeper {
    async fn step(&mut self, leader: &mut Leader, force: bool) -> Result<(), RuntimeError> {
        if self.broken
            || leader.halted
            || (!force && self.last.elapsed() < Duration::from_millis(200))
        {
            return Ok(());
        }
        self.last = Instant::now();
        let batch = match leader
            .shared
            .store
            .read_all(leader.cp, leader.shared.options.batch_size)
            .await
        {
            Ok(b) => b,
            Err(_) => return Ok(()), // transient; the next step retries
        };
        match leader.apply_live(&batch).await {
            Ok(_) => Ok(()),
            Err(e @ RuntimeError::LostLeadership(_)) => Err(e),
            Err(e) if e.is_transient() => Ok(()),
            Err(e) => {
                self.broken = true;
                tracing::warn!(projection = %leader.name(), error = %e, "live batch failed during rebuild; the rebuild continues");
                sqlx::query!(
                    "update projection_checkpoints set last_error = $3, updated_at = now() \
                     where name = $1 and leader_id = $2",
                    leader.name(),
                    leader.id(),
                    format!("live update failed during rebuild: {e}")
                )
                .execute(&leader.shared.pool)
                .await?;
                Ok(())
            }
        }
    }
}

/// One batch into the shadow tables. Durability is relaxed (`synchronous_commit = off`): a crash
/// loses the whole rebuild anyway, which then starts over.
async fn apply_shadow(
    pool: &PgPool,
    projection: &dyn Projection,
    schema: &str,
    batch: &[RecordedEvent],
) -> Result<(), RuntimeError> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "set local search_path = {}, public",
        quote_ident(schema)
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::query!("set local synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    projection.apply(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads the log from the start ahead of the applier (two batches in flight at most), until a
/// short batch says it reached the readable head.
fn spawn_reader(
    store: Arc<dyn EventStore>,
    batch_size: usize,
) -> mpsc::Receiver<Result<Vec<RecordedEvent>, StoreError>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut cp = Checkpoint::START;
        loop {
            let batch = store.read_all(cp, batch_size).await;
            let (last, short) = match &batch {
                Ok(b) => (b.last().map(|e| e.checkpoint), b.len() < batch_size),
                Err(_) => (None, true),
            };
            if tx.send(batch).await.is_err() || short {
                return;
            }
            if let Some(last) = last {
                cp = last;
            }
        }
    });
    rx
}

async fn build_and_swap(
    leader: &mut Leader,
    on_progress: Option<&ProgressFn>,
    stop: &watch::Receiver<bool>,
) -> Result<RebuildProgress, RuntimeError> {
    let name = leader.name().to_owned();
    let pool = leader.shared.pool.clone();
    let store = leader.shared.store.clone();
    let projection = leader.projection.clone();
    let n = leader.shared.options.rebuild_batch_size.max(1);
    let mut shadow = Shadow::create(&pool, &name, projection.tables()).await?;
    let mut tracker = Tracker {
        name: name.clone(),
        started: Instant::now(),
        last: None,
        total: 0,
        done: 0,
        on_progress,
    };
    let mut live = LiveKeeper {
        last: Instant::now(),
        broken: false,
    };
    tracker
        .report(&pool, store.as_ref(), RebuildState::Running, true)
        .await?;

    // 1. Load: read ahead while applying, no secondary indexes yet.
    let mut cp = Checkpoint::START;
    let mut last_event_at: Option<DateTime<Utc>> = None;
    let mut reader = spawn_reader(store.clone(), n);
    while let Some(batch) = reader.recv().await {
        let batch = batch?;
        if *stop.borrow() {
            return Err(RuntimeError::ShutDown);
        }
        let Some(last) = batch.last() else { break };
        apply_shadow(&pool, projection.as_ref(), &shadow.schema, &batch).await?;
        cp = last.checkpoint;
        last_event_at = Some(last.recorded_at);
        tracker.done += batch.len() as u64;
        tracker
            .report(&pool, store.as_ref(), RebuildState::Running, false)
            .await?;
        live.step(leader, false).await?;
    }

    // 2. Index after load.
    shadow.finish_load(&pool).await?;

    // 3. Catch up with what was written meanwhile.
    loop {
        if *stop.borrow() {
            return Err(RuntimeError::ShutDown);
        }
        let batch = store.read_all(cp, n).await?;
        let Some(last) = batch.last() else { break };
        apply_shadow(&pool, projection.as_ref(), &shadow.schema, &batch).await?;
        cp = last.checkpoint;
        last_event_at = Some(last.recorded_at);
        tracker.done += batch.len() as u64;
        tracker
            .report(&pool, store.as_ref(), RebuildState::Running, false)
            .await?;
        live.step(leader, false).await?;
        if batch.len() < n {
            break;
        }
    }
    live.step(leader, true).await?;
    tracker
        .report(&pool, store.as_ref(), RebuildState::Swapping, true)
        .await?;

    // 4. Last catch-up and swap, one transaction. The checkpoint row is locked first: fencing
    // (only the leader gets it) and no live batch can commit in between.
    let mut tx = pool.begin().await?;
    let fenced: Option<String> = sqlx::query_scalar!(
        "select name from projection_checkpoints where name = $1 and leader_id = $2 for update",
        &name,
        leader.id()
    )
    .fetch_optional(&mut *tx)
    .await?;
    if fenced.is_none() {
        return Err(RuntimeError::LostLeadership(name));
    }
    sqlx::query(&format!(
        "set local search_path = {}, public",
        quote_ident(&shadow.schema)
    ))
    .execute(&mut *tx)
    .await?;
    // Everything the live tables reflect was readable before this transaction began, so this
    // reaches at least the live checkpoint; events behind our own transaction's horizon are
    // left to the live loop, which resumes from the new checkpoint.
    loop {
        let batch = store.read_all(cp, n).await?;
        let Some(last) = batch.last() else { break };
        projection.apply(&mut tx, &batch).await?;
        cp = last.checkpoint;
        last_event_at = Some(last.recorded_at);
        tracker.done += batch.len() as u64;
        if batch.len() < n {
            break;
        }
    }
    if cp < leader.cp {
        return Err(RuntimeError::Invalid(format!(
            "rebuild of {name} ended at checkpoint {}/{} behind the live checkpoint {}/{}",
            cp.tx, cp.pos, leader.cp.tx, leader.cp.pos
        )));
    }
    sqlx::query!("set local search_path = public")
        .execute(&mut *tx)
        .await?;
    shadow.swap(&mut tx).await?;
    sqlx::query!(
        "update projection_checkpoints set tx = $2, pos = $3, version = $4, state = 'running', \
             last_error = null, last_event_at = coalesce($5, last_event_at), updated_at = now() \
         where name = $1",
        &name,
        checkpoint::db_u64(cp.tx),
        checkpoint::db_u64(cp.pos),
        projection.version() as i32,
        last_event_at
    )
    .execute(&mut *tx)
    .await?;
    let elapsed = tracker.started.elapsed().as_secs_f64().max(1e-3);
    let row = sqlx::query_as!(
        ProgressRow,
        "update projection_rebuilds set state = 'done', events_done = $2, events_total = $2, \
             events_per_second = $3, eta_seconds = 0, finished_at = now(), updated_at = now() \
         where name = $1 \
         returning name, state, events_done, events_total, events_per_second, eta_seconds, \
             error, requested_at, started_at, finished_at",
        &name,
        checkpoint::db_u64(tracker.done),
        tracker.done as f64 / elapsed
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("select pg_notify($1, $2)", CHECKPOINT_CHANNEL, &name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    leader.cp = cp;
    let done: RebuildProgress = row.into();
    if let Some(cb) = on_progress {
        cb(&done);
    }
    Ok(done)
}
