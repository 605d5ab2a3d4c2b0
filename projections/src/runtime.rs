//! `run`: the projector runtime. Every process runs the same loop for every projection: try to
//! take its advisory lock; the winner leads (applies events), the others stand by and retry
//! about once a second, so a dead leader is replaced within a few seconds.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use domain::ports::EventStore;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::checkpoint::{self, CONTROL_CHANNEL};
use crate::error::RuntimeError;
use crate::leader::Leader;
use crate::leadership::LockCandidate;
use crate::projection::{validate_name, Projection};
use crate::wakeup::Wakeup;

/// Channel the PostgreSQL event store notifies after appends.
pub const DEFAULT_EVENT_CHANNEL: &str = "docuvault_events";

/// Tuning of the runtime. The defaults suit production and the tests alike.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Events per live batch (one transaction each).
    pub batch_size: usize,
    /// Events per batch while rebuilding into shadow tables.
    pub rebuild_batch_size: usize,
    /// Longest idle wait before a leader polls the store although no notification came.
    pub poll_interval: Duration,
    /// How often a standby tries to take the lock.
    pub standby_retry: Duration,
    /// How often a leader confirms that its lock connection is alive.
    pub lock_check_interval: Duration,
    /// Channel the event store notifies after appends (`LISTEN`).
    pub event_channel: String,
    /// This process's identity in `leader_id`; unique per `Runtime`.
    pub instance: String,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            rebuild_batch_size: 5000,
            poll_interval: Duration::from_millis(500),
            standby_retry: Duration::from_secs(1),
            lock_check_interval: Duration::from_secs(1),
            event_channel: DEFAULT_EVENT_CHANNEL.to_owned(),
            instance: default_instance(),
        }
    }
}

/// `host:pid:<random>`: readable in the admin view, unique per runtime.
pub fn default_instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &nonce[..8])
}

/// What every leader and standby of one runtime shares.
pub(crate) struct Shared {
    pub pool: PgPool,
    pub store: Arc<dyn EventStore>,
    pub options: RuntimeOptions,
}

/// The projector runtime for a set of projections.
pub struct Runtime {
    shared: Arc<Shared>,
    projections: Vec<Arc<dyn Projection>>,
}

impl Runtime {
    /// Checks the projections (valid, unique names) and prepares a runtime with default options.
    pub fn new(
        pool: PgPool,
        store: Arc<dyn EventStore>,
        projections: Vec<Arc<dyn Projection>>,
    ) -> Result<Self, RuntimeError> {
        let mut seen = HashSet::new();
        for p in &projections {
            validate_name(p.name()).map_err(RuntimeError::Invalid)?;
            if !seen.insert(p.name().to_owned()) {
                return Err(RuntimeError::Invalid(format!(
                    "projection {} registered twice",
                    p.name()
                )));
            }
        }
        Ok(Self {
            shared: Arc::new(Shared {
                pool,
                store,
                options: RuntimeOptions::default(),
            }),
            projections,
        })
    }

    pub fn with_options(mut self, options: RuntimeOptions) -> Self {
        Arc::get_mut(&mut self.shared)
            .expect("options are set before the runtime starts")
            .options = options;
        self
    }

    /// Leads or stands by for every projection until `shutdown` resolves; then finishes the
    /// batch in flight, marks led projections `standby` and releases their locks.
    ///
    /// Returns an error only for problems that retrying cannot fix (e.g. a missing checkpoint
    /// table); database outages are logged and retried.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), RuntimeError> {
        let pool = &self.shared.pool;
        for p in &self.projections {
            checkpoint::ensure(pool, p.name(), p.version()).await?;
        }
        let (wake, _listener) = Wakeup::listen(
            pool,
            vec![
                self.shared.options.event_channel.clone(),
                CONTROL_CHANNEL.to_owned(),
            ],
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for p in self.projections {
            tasks.spawn(supervise(
                self.shared.clone(),
                p,
                wake.clone(),
                stop_rx.clone(),
            ));
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "projection task panicked");
            }
        }
        Ok(())
    }
}

/// Runs `projections` until `shutdown` resolves, with default options. See [`Runtime::run`].
pub async fn run(
    pool: PgPool,
    store: Arc<dyn EventStore>,
    projections: Vec<Arc<dyn Projection>>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RuntimeError> {
    Runtime::new(pool, store, projections)?.run(shutdown).await
}

/// The standby/leader cycle of one projection in this process.
async fn supervise(
    shared: Arc<Shared>,
    projection: Arc<dyn Projection>,
    wake: Wakeup,
    mut stop: watch::Receiver<bool>,
) {
    let name = projection.name().to_owned();
    let mut quiet_standby = false;
    let mut candidate: Option<LockCandidate> = None;
    while !*stop.borrow() {
        let attempt = match candidate.take() {
            Some(c) => Ok(c),
            None => LockCandidate::connect(&shared.pool).await,
        };
        let attempt = match attempt {
            Ok(c) => c.try_lock(&name).await,
            Err(e) => Err(e),
        };
        match attempt {
            Ok(Ok(lock)) => {
                quiet_standby = false;
                tracing::info!(projection = %name, instance = %shared.options.instance, "leading projection");
                let mut leader = Leader::new(shared.clone(), projection.clone(), lock);
                let outcome = leader.lead(wake.clone(), stop.clone()).await;
                leader.step_down().await;
                match outcome {
                    Ok(()) => {}
                    Err(RuntimeError::LostLeadership(_)) => {
                        tracing::warn!(projection = %name, "lost the leadership; standing by");
                    }
                    Err(RuntimeError::Invalid(reason)) => {
                        // e.g. tables built by a newer version: leave it to newer processes.
                        tracing::warn!(projection = %name, %reason, "not leading this projection");
                    }
                    Err(e) => {
                        tracing::error!(projection = %name, error = %e, "projection leader failed; standing by");
                    }
                }
            }
            Ok(Err(waiting)) => {
                candidate = Some(waiting);
                if !quiet_standby {
                    tracing::info!(projection = %name, "standing by: another process leads it");
                    quiet_standby = true;
                }
            }
            Err(e) => {
                tracing::warn!(projection = %name, error = %e, "cannot reach the database to take the lead");
            }
        }
        let _ = tokio::time::timeout(shared.options.standby_retry, stop.changed()).await;
    }
    if let Some(c) = candidate {
        c.close().await;
    }
}
