//! The leader of one projection: reads batches from its checkpoint, applies each batch and moves
//! the checkpoint in one transaction, sleeps until new events are notified, halts on a failing
//! handler, and carries out rebuild requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use domain::{Checkpoint, RecordedEvent};
use tokio::sync::watch;

use crate::checkpoint::{self, Advanced, ProjectionState};
use crate::error::{is_transient, RuntimeError};
use crate::leadership::LeaderLock;
use crate::metrics;
use crate::projection::Projection;
use crate::rebuild;
use crate::runtime::Shared;
use crate::wakeup::Wakeup;

/// How a failure inside the leader loop is handled.
enum Failure {
    /// Deterministic: halt the projection with the error (never skip the batch).
    Halt,
    /// May pass when retried (connection, serialization): back off and retry the same batch.
    Retry,
    /// Leadership is gone or the setup is wrong: give up leading.
    Stop,
}

fn classify(e: &RuntimeError) -> Failure {
    match e {
        RuntimeError::Projection(pe) if pe.is_transient() => Failure::Retry,
        RuntimeError::Projection(_) => Failure::Halt,
        RuntimeError::Database(db) if is_transient(db) => Failure::Retry,
        // A constraint checked at commit or similar: the batch itself is at fault.
        RuntimeError::Database(_) => Failure::Halt,
        RuntimeError::Store(_) => Failure::Retry,
        _ => Failure::Stop,
    }
}

/// Events per second over windows of a few seconds.
pub(crate) struct Rate {
    window_start: Instant,
    events: u64,
    current: f64,
}

impl Rate {
    pub fn new() -> Self {
        Self {
            window_start: Instant::now(),
            events: 0,
            current: 0.0,
        }
    }

    pub fn observe(&mut self, events: usize) -> f64 {
        self.events += events as u64;
        let elapsed = self.window_start.elapsed().as_secs_f64();
        if elapsed >= 2.0 || self.current == 0.0 && elapsed >= 0.2 {
            self.current = self.events as f64 / elapsed;
            self.events = 0;
            self.window_start = Instant::now();
        }
        self.current
    }
}

/// Idle waits: short right after a notification (the notified events may still be behind an
/// in-flight transaction's horizon), doubling up to the poll interval.
struct IdleBackoff {
    next: Duration,
    max: Duration,
}

impl IdleBackoff {
    const MIN: Duration = Duration::from_millis(10);

    fn new(max: Duration) -> Self {
        Self { next: max, max }
    }

    async fn wait(&mut self, wake: &mut Wakeup, stop: &mut watch::Receiver<bool>) {
        let notified = tokio::select! {
            n = wake.wait(self.next) => n,
            _ = stop.changed() => false,
        };
        self.next = if notified {
            Self::MIN
        } else {
            (self.next * 2).min(self.max)
        };
    }
}

pub(crate) struct Leader {
    pub(crate) shared: Arc<Shared>,
    pub(crate) projection: Arc<dyn Projection>,
    lock: Option<LeaderLock>,
    /// The checkpoint as committed; the fencing condition of the next write.
    pub(crate) cp: Checkpoint,
    pub(crate) halted: bool,
    rate: Rate,
    last_head_sample: Option<Instant>,
}

impl Leader {
    pub fn new(shared: Arc<Shared>, projection: Arc<dyn Projection>, lock: LeaderLock) -> Self {
        Self {
            shared,
            projection,
            lock: Some(lock),
            cp: Checkpoint::START,
            halted: false,
            rate: Rate::new(),
            last_head_sample: None,
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.projection.name()
    }

    pub(crate) fn id(&self) -> &str {
        &self.shared.options.instance
    }

    /// Claims the checkpoint row (the caller holds the lock) and loads where to resume.
    pub(crate) async fn take_over(&mut self) -> Result<(), RuntimeError> {
        let pool = &self.shared.pool;
        checkpoint::ensure(pool, self.name(), self.projection.version()).await?;
        let ours = self.projection.version() as i32;
        // Checked before claiming the row, so an outdated process never shows up as leader.
        let mut conn = pool.acquire().await?;
        let current = checkpoint::load(&mut conn, self.name()).await?;
        drop(conn);
        if let Some(row) = current.filter(|r| r.version > ours) {
            return Err(RuntimeError::Invalid(format!(
                "projection {} was built by version {}, this process runs version {ours}",
                self.name(),
                row.version
            )));
        }
        let row = checkpoint::take_over(pool, self.name(), self.id()).await?;
        if row.version > ours {
            return Err(RuntimeError::Invalid(format!(
                "projection {} was built by version {}, this process runs version {ours}",
                self.name(),
                row.version
            )));
        }
        self.cp = row.checkpoint();
        self.halted = row.state() == ProjectionState::Halted;
        metrics::leading(self.name(), true);
        metrics::halted(self.name(), self.halted);
        if row.version < ours {
            tracing::info!(projection = %self.name(), from = row.version, to = ours, "projection version changed: rebuilding");
            rebuild::request(pool, self.name()).await?;
        }
        Ok(())
    }

    /// The leader loop. Returns `Ok` on shutdown.
    pub async fn lead(
        &mut self,
        mut wake: Wakeup,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        self.take_over().await?;
        let opts = self.shared.options.clone();
        let mut idle = IdleBackoff::new(opts.poll_interval);
        let mut retry = Duration::from_millis(100);
        let mut check_rebuild = true;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            if !self.lock_held().await {
                return Err(RuntimeError::LostLeadership(self.name().to_owned()));
            }
            if check_rebuild {
                check_rebuild = false;
                if rebuild::pending(&self.shared.pool, self.name()).await? {
                    match rebuild::perform(self, None, &stop).await {
                        Ok(_) | Err(RuntimeError::RebuildFailed { .. }) => {}
                        Err(RuntimeError::ShutDown) => return Ok(()),
                        Err(e) => return Err(e),
                    }
                    continue;
                }
            }
            wake.mark_seen();
            if self.halted {
                self.reload_halt().await?;
                if self.halted {
                    idle.wait(&mut wake, &mut stop).await;
                    check_rebuild = true;
                    continue;
                }
            }
            let batch = match self.shared.store.read_all(self.cp, opts.batch_size).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(projection = %self.name(), error = %e, "reading the event store failed; retrying");
                    pause(&mut stop, &mut retry).await;
                    continue;
                }
            };
            if batch.is_empty() {
                metrics::lag(self.name(), 0, 0.0);
                idle.wait(&mut wake, &mut stop).await;
                check_rebuild = true;
                continue;
            }
            idle = IdleBackoff::new(opts.poll_interval);
            match self.apply_live(&batch).await {
                Ok(advanced) => {
                    retry = Duration::from_millis(100);
                    self.sample_lag(&batch).await;
                    if advanced.rebuild_state.as_deref() == Some("requested") {
                        check_rebuild = true;
                    }
                }
                Err(e) => match classify(&e) {
                    Failure::Halt => self.halt(&e, &batch).await?,
                    Failure::Retry => {
                        tracing::warn!(projection = %self.name(), error = %e, "batch failed; retrying");
                        pause(&mut stop, &mut retry).await;
                    }
                    Failure::Stop => return Err(e),
                },
            }
        }
    }

    async fn lock_held(&mut self) -> bool {
        let every = self.shared.options.lock_check_interval;
        match &mut self.lock {
            Some(lock) => lock.still_held(every).await,
            None => false,
        }
    }

    /// One batch into the live tables; the checkpoint moves in the same transaction.
    pub(crate) async fn apply_live(
        &mut self,
        batch: &[RecordedEvent],
    ) -> Result<Advanced, RuntimeError> {
        let Some(last) = batch.last() else {
            return Ok(Advanced {
                rebuild_state: None,
            });
        };
        let started = Instant::now();
        let mut tx = self.shared.pool.begin().await?;
        self.projection.apply(&mut tx, batch).await?;
        let rate = self.rate.observe(batch.len());
        let advanced = checkpoint::advance(
            &mut tx,
            self.projection.name(),
            &self.shared.options.instance,
            self.cp,
            last.checkpoint,
            last.recorded_at,
            rate,
        )
        .await?;
        tx.commit().await?;
        self.cp = last.checkpoint;
        metrics::batch_applied(self.name(), batch.len(), started.elapsed());
        Ok(advanced)
    }

    /// Lag gauges after a batch: a short batch means caught up; otherwise the age of what is
    /// being applied, and the distance to the head (sampled at most once a second).
    async fn sample_lag(&mut self, batch: &[RecordedEvent]) {
        if batch.len() < self.shared.options.batch_size {
            metrics::lag(self.name(), 0, 0.0);
            return;
        }
        if self
            .last_head_sample
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.last_head_sample = Some(Instant::now());
        let seconds = batch
            .last()
            .map(|e| (Utc::now() - e.recorded_at).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        if let Ok(head) = self.shared.store.head_position().await {
            metrics::lag(self.name(), head.saturating_sub(self.cp.pos), seconds);
        }
    }

    /// Halts with a message naming the projection, the error and the batch.
    async fn halt(
        &mut self,
        e: &RuntimeError,
        batch: &[RecordedEvent],
    ) -> Result<(), RuntimeError> {
        let first = batch.first().map(|e| e.global_position).unwrap_or(0);
        let last = batch.last().map(|e| e.global_position).unwrap_or(0);
        let message = format!(
            "{e} (batch of {} events at positions {first}..={last}, after checkpoint {}/{}; \
             nothing of it was applied)",
            batch.len(),
            self.cp.tx,
            self.cp.pos
        );
        tracing::error!(projection = %self.name(), error = %message, "projection halted");
        checkpoint::halt(&self.shared.pool, self.name(), self.id(), &message).await?;
        self.halted = true;
        metrics::halted(self.name(), true);
        metrics::lag(self.name(), 0, 0.0);
        Ok(())
    }

    /// Re-reads the row while halted: `resume` (from any process) clears the halt.
    async fn reload_halt(&mut self) -> Result<(), RuntimeError> {
        let mut conn = self.shared.pool.acquire().await?;
        let row = checkpoint::load(&mut conn, self.name())
            .await?
            .ok_or_else(|| RuntimeError::UnknownProjection(self.name().to_owned()))?;
        if row.leader_id.as_deref() != Some(self.id()) {
            return Err(RuntimeError::LostLeadership(self.name().to_owned()));
        }
        if row.state() != ProjectionState::Halted {
            tracing::info!(projection = %self.name(), "projection resumed");
            self.halted = false;
            self.cp = row.checkpoint();
            metrics::halted(self.name(), false);
        }
        Ok(())
    }

    /// Gives the projection up: marks it `standby` (if the lock is still ours) and releases the
    /// lock. Idempotent.
    pub(crate) async fn step_down(&mut self) {
        if let Some(mut lock) = self.lock.take() {
            if lock.still_held(Duration::ZERO).await {
                if let Err(e) = checkpoint::release(&self.shared.pool, self.name(), self.id()).await
                {
                    tracing::warn!(projection = %self.name(), error = %e, "could not mark the projection standby");
                }
            }
            lock.release().await;
            metrics::leading(self.name(), false);
        }
    }
}

/// Sleeps `retry` (doubling up to 5 s for next time), or less if stopped.
async fn pause(stop: &mut watch::Receiver<bool>, retry: &mut Duration) {
    let _ = tokio::time::timeout(*retry, stop.changed()).await;
    *retry = (*retry * 2).min(Duration::from_secs(5));
}
