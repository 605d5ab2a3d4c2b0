//! Wake-ups for subscribers: local appends bump an in-process counter at once; a background
//! notifier turns bursts of appends into single `NOTIFY`s for other processes, and a background
//! listener turns their `NOTIFY`s into local bumps. Subscribers also poll, so a lost
//! notification only costs latency.
//!
//! Why NOTIFY is not sent inside the append: `pg_notify` in a transaction takes a cluster-wide
//! lock at commit, which serialises every writer's commit behind it (the bench measures this as
//! the "pgbench + NOTIFY" row). One notifier per process, sending at most one NOTIFY at a time
//! and coalescing the appends that happen meanwhile, keeps the lock off the writers' path.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};

/// The `LISTEN/NOTIFY` channel of committed appends (payload empty: it is only a wake-up).
pub const NOTIFY_CHANNEL: &str = "docuvault_events";
/// At most one NOTIFY per this interval: under load a back-to-back NOTIFY transaction per
/// append round trip cost the server as much CPU as the appends; appends in between coalesce
/// into the next one, so other processes hear of them at most this much later.
const NOTIFY_MIN_INTERVAL: Duration = Duration::from_millis(5);
/// Pause before re-establishing a failed listener connection.
const LISTENER_RETRY: Duration = Duration::from_secs(1);

pub(super) struct Wake {
    /// Bumped on every local append and every notification; subscribers wait for a change.
    bumps: Arc<watch::Sender<u64>>,
    /// One pending permit for the notifier: many appends, one NOTIFY.
    pending: Arc<Notify>,
    notifier: OnceLock<()>,
    listener: OnceLock<()>,
    /// Never sent on; dropped with the store, which ends the background tasks.
    alive: watch::Sender<()>,
}

impl Wake {
    pub(super) fn new() -> Self {
        Self {
            bumps: Arc::new(watch::channel(0).0),
            pending: Arc::new(Notify::new()),
            notifier: OnceLock::new(),
            listener: OnceLock::new(),
            alive: watch::channel(()).0,
        }
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.bumps.subscribe()
    }

    /// After a commit: wake local subscribers now and other processes soon.
    pub(super) fn appended(&self, pool: &PgPool) {
        bump(&self.bumps);
        self.notifier.get_or_init(|| {
            tokio::spawn(notifier(
                pool.clone(),
                self.pending.clone(),
                self.alive.subscribe(),
            ));
        });
        self.pending.notify_one();
    }

    /// Starts listening for other processes' appends (once per store).
    pub(super) fn listen(&self, pool: &PgPool) {
        self.listener.get_or_init(|| {
            tokio::spawn(listener(
                pool.clone(),
                self.bumps.clone(),
                self.alive.subscribe(),
            ));
        });
    }
}

fn bump(bumps: &watch::Sender<u64>) {
    bumps.send_modify(|n| *n = n.wrapping_add(1));
}

async fn notifier(pool: PgPool, pending: Arc<Notify>, mut alive: watch::Receiver<()>) {
    loop {
        tokio::select! {
            _ = pending.notified() => {}
            closed = alive.changed() => if closed.is_err() { return },
        }
        if pool.is_closed() {
            return;
        }
        // Committed asynchronously: a wake-up need not wait for a WAL flush (a crash losing it
        // costs nothing, subscribers poll), and the connection is free again sooner.
        if let Err(e) = sqlx::query!(
            "select set_config('synchronous_commit', 'off', true), pg_notify($1, '')",
            NOTIFY_CHANNEL
        )
        .fetch_one(&pool)
        .await
        {
            // Other processes fall back to polling until the next NOTIFY gets through.
            tracing::warn!(error = %e, "event store NOTIFY failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(NOTIFY_MIN_INTERVAL) => {}
            closed = alive.changed() => if closed.is_err() { return },
        }
    }
}

async fn listener(pool: PgPool, bumps: Arc<watch::Sender<u64>>, mut alive: watch::Receiver<()>) {
    loop {
        match connect(&pool).await {
            Ok(mut l) => {
                // Anything committed while we were not listening.
                bump(&bumps);
                loop {
                    tokio::select! {
                        r = l.try_recv() => match r {
                            Ok(Some(_)) => bump(&bumps),
                            // The connection dropped and was re-established: notifications
                            // in between are lost, so wake everyone to re-read.
                            Ok(None) => bump(&bumps),
                            Err(e) => {
                                if pool.is_closed() {
                                    return;
                                }
                                tracing::warn!(error = %e, "event store LISTEN connection failed");
                                break;
                            }
                        },
                        closed = alive.changed() => if closed.is_err() { return },
                    }
                }
            }
            Err(e) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "event store LISTEN could not connect; polling meanwhile");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(LISTENER_RETRY) => {}
            closed = alive.changed() => if closed.is_err() { return },
        }
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(NOTIFY_CHANNEL).await?;
    Ok(l)
}
