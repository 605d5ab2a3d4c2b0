//! `docuvault-bench rebuild`: on one fresh local cluster, a blue/green rebuild of `stream_stats`
//! over N events side by side with the raw sequential read of the same events (the ceiling) and
//! the store's never-skip read (what the rebuild reads through).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use infra::pgcluster::PgCluster;
use projections::{RebuildProgress, RuntimeOptions, StreamStats};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;

use crate::eventstore::{fill, raw_read, store_read};
use crate::pgbench;
use crate::stats::{table, Row};

const DB: &str = "bench_rebuild";

#[derive(clap::Args)]
pub struct Args {
    /// Events in the log.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Events per stream (each stream is appended as one batch): how much a batch folds.
    #[arg(long, default_value_t = 10)]
    per_stream: u64,
    /// Events per rebuild batch (one shadow transaction each).
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Repetitions of every measurement; the table reports each and their median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Directory for the cluster (default: a fresh one under the temp dir, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: Args) -> Result<()> {
    let (dir, remove_dir) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("docuvault-bench-rebuild-{}", std::process::id())),
            true,
        ),
    };
    let cluster = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || PgCluster::start(&dir)).await??
    };
    let result = bench(&args, &cluster).await;
    drop(cluster);
    if remove_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn bench(args: &Args, cluster: &PgCluster) -> Result<()> {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.url("postgres"))
        .await?;
    sqlx::query(&format!("create database {DB}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(&cluster.url(DB))
        .await?;
    infra::migrate(&pool).await?;
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    let store = PgEventStore::new(pool.clone(), keys);
    let payload: Value = serde_json::from_str(pgbench::PAYLOAD)?;
    let total = fill(&store, &pool, &payload, args.events, args.per_stream).await?;
    sqlx::query("vacuum analyze events").execute(&pool).await?;

    let raw = format!("raw read, position order ({total} events)");
    let read_all = "store never-skip read_all".to_owned();
    let rebuild = format!("rebuild stream_stats ({} events/stream)", args.per_stream);
    let mut rows = vec![
        Row::new(raw.clone(), "events/s"),
        Row::new(read_all.clone(), "events/s").against(&raw, None),
        Row::new(rebuild.clone(), "events/s").against(&raw, Some(0.5)),
    ];
    let options = RuntimeOptions {
        rebuild_batch_size: args.batch,
        instance: "bench".into(),
        ..RuntimeOptions::default()
    };
    let store: Arc<PgEventStore> = Arc::new(store);
    for run in 1..=args.runs {
        eprintln!("run {run}/{}", args.runs);
        let (n, t) = raw_read(&pool).await?;
        anyhow::ensure!(n == total, "raw read saw {n} of {total} events");
        push(&mut rows, &raw, n as f64 / t.as_secs_f64());
        let (n, t) = store_read(&store).await?;
        anyhow::ensure!(n == total, "store read saw {n} of {total} events");
        push(&mut rows, &read_all, n as f64 / t.as_secs_f64());

        let started = Instant::now();
        let done = projections::rebuild(
            &pool,
            store.clone(),
            Arc::new(StreamStats),
            options.clone(),
            Arc::new(report),
        )
        .await?;
        let took = started.elapsed();
        anyhow::ensure!(
            done.events_done == total,
            "rebuild applied {} of {total} events",
            done.events_done
        );
        push(&mut rows, &rebuild, total as f64 / took.as_secs_f64());
    }
    let streams: i64 = sqlx::query_scalar("select count(*) from stream_stats_streams")
        .fetch_one(&pool)
        .await?;
    let version: String = sqlx::query_scalar("show server_version")
        .fetch_one(&pool)
        .await?;
    println!(
        "Projection rebuild benchmark: PostgreSQL {version}, {total} events in {streams} streams, \
         rebuild batches of {} events, {} runs, {} cores\n",
        args.batch,
        args.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("{}", table(&rows));
    pool.close().await;
    Ok(())
}

fn push(rows: &mut [Row], name: &str, v: f64) {
    eprintln!("  {name}: {v:.0}");
    rows.iter_mut()
        .find(|r| r.name == name)
        .expect("declared row")
        .runs
        .push(v);
}

/// Progress on stderr, about every five seconds.
fn report(p: &RebuildProgress) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = chrono::Utc::now().timestamp() as u64;
    if p.state.is_finished() || now >= LAST.load(Ordering::Relaxed) + 5 {
        LAST.store(now, Ordering::Relaxed);
        eprintln!(
            "  rebuild {:?}: {}/{} events, {:.0} events/s, eta {:.0} s",
            p.state,
            p.events_done,
            p.events_total,
            p.events_per_second,
            p.eta_seconds.unwrap_or(0.0)
        );
    }
}
