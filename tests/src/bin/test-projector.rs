//! A projector process for the kill -9 tests: runs the projection runtime with `stream_stats`
//! against `DATABASE_URL` until SIGTERM/SIGINT (or SIGKILL). `docuvault projector` runs the same
//! `projections::run`.
//!
//! Environment: `DATABASE_URL` (required); `PROJECTOR_INSTANCE` (leader id, default
//! `host:pid:random`); `PROJECTOR_BATCH_SIZE`; `PROJECTOR_APPLY_DELAY_MS`: a pause inside each
//! batch's transaction, after its writes, so that a kill lands mid-batch.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::RecordedEvent;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use projections::{Projection, ProjectionError, RuntimeOptions, StreamStats};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgConnection;

/// `stream_stats`, pausing after its writes while the transaction is still open.
struct Paused {
    delay: Duration,
}

#[async_trait]
impl Projection for Paused {
    fn name(&self) -> &str {
        StreamStats.name()
    }
    fn version(&self) -> u32 {
        StreamStats.version()
    }
    fn tables(&self) -> &[&str] {
        StreamStats.tables()
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        StreamStats.apply(conn, events).await?;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(())
    }
}

fn env_number(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v.parse().map_err(|e| anyhow::anyhow!("{name}: {e}"))?)),
        Err(_) => Ok(None),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("set DATABASE_URL"))?;
    let instance = std::env::var("PROJECTOR_INSTANCE")
        .unwrap_or_else(|_| projections::runtime::default_instance());
    // The instance as application name lets the tests see when this process is mid-batch.
    let connect: PgConnectOptions = url.parse::<PgConnectOptions>()?.application_name(&instance);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(connect)
        .await?;
    // The tests write no personal data, so any master key reads their events.
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    let store = Arc::new(PgEventStore::new(pool.clone(), keys));
    let mut options = RuntimeOptions {
        instance,
        ..RuntimeOptions::default()
    };
    if let Some(n) = env_number("PROJECTOR_BATCH_SIZE")? {
        options.batch_size = n as usize;
    }
    let delay = Duration::from_millis(env_number("PROJECTOR_APPLY_DELAY_MS")?.unwrap_or(0));
    let runtime = projections::Runtime::new(pool, store, vec![Arc::new(Paused { delay })])?
        .with_options(options);
    runtime
        .run(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await?;
    Ok(())
}
