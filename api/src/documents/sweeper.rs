//! The background sweeper: expires abandoned uploads (removing their objects), purges trash
//! past its retention, in bounded batches, and removes the filesystem store's abandoned temp
//! files, on an interval, until shutdown.

use std::sync::Arc;
use std::time::Duration;

use infra::blob::fs::{FsBlobStore, TEMP_FILE_AGE};

use commands::documents::{sweep, DocumentServices};
use commands::CommandContext;

use super::Documents;

/// Documents handled per batch; a batch that comes back full is followed at once by another.
const BATCH: usize = 200;

/// One pass: runs batches until both queues are drained. Returns (expired, purged).
pub async fn sweep_once(ctx: &CommandContext, svc: &DocumentServices) -> (usize, usize) {
    let mut totals = (0, 0);
    loop {
        let expired = match sweep::expire_abandoned_uploads(ctx, svc, BATCH).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "expiring abandoned uploads failed");
                0
            }
        };
        let purged = match sweep::purge_expired_trash(ctx, svc, BATCH).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "purging old trash failed");
                0
            }
        };
        // Crash leftovers: charges whose document is gone.
        if let Err(e) = sweep::release_orphaned_charges(ctx, svc, BATCH).await {
            tracing::warn!(error = %e, "releasing orphaned quota charges failed");
        }
        totals.0 += expired;
        totals.1 += purged;
        if expired < BATCH && purged < BATCH {
            return totals;
        }
    }
}

/// Sweeps every `every` until `shutdown` resolves. Any number of processes may run it: each
/// document is re-decided against its own stream, so two sweepers never double-purge.
pub async fn run(
    ctx: CommandContext,
    svc: DocumentServices,
    fs: Option<Arc<FsBlobStore>>,
    every: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {
                let (expired, purged) = sweep_once(&ctx, &svc).await;
                if expired + purged > 0 {
                    tracing::info!(expired, purged, "documents sweeper");
                }
                if let Some(fs) = &fs {
                    sweep_temp_files(fs).await;
                }
            }
        }
    }
}

/// Removes the filesystem store's temp files of uploads interrupted mid-stream (or by a crash)
/// once they are older than any upload takes.
async fn sweep_temp_files(fs: &FsBlobStore) {
    match fs.sweep_temp(TEMP_FILE_AGE).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed abandoned temp files"),
        Err(e) => tracing::warn!(error = %e, "sweeping temp files failed"),
    }
}

/// Runs the sweeper every minute until `shutdown`, on its own task.
pub fn spawn(
    ctx: CommandContext,
    docs: &Documents,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(
        ctx,
        docs.services.clone(),
        docs.fs.0.clone(),
        Duration::from_secs(60),
        shutdown,
    ))
}
