//! `docuvault-bench eventstore`: on one fresh local cluster, pgbench's single-row inserts side by
//! side with the store's appends (1/8/32 writers, single events and 10-event batches), then the
//! raw sequential read of the events table against the store's never-skip catch-up read.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use domain::event::{Checkpoint, EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ports::EventStore;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore, StoreOptions};
use infra::pgcluster::PgCluster;
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::cpu::CpuClock;
use crate::pgbench;
use crate::stats::{table, Row};

const DB: &str = "bench";
const WRITERS: [usize; 3] = [1, 8, 32];
const READ_BATCH: usize = 1_000;
/// A writer moves to a fresh stream after this many events (streams of realistic length).
const EVENTS_PER_STREAM: u64 = 100;

#[derive(clap::Args)]
pub struct Args {
    /// Events in the log for the read measurements (the appends count towards it).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Seconds per append measurement.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Repetitions of every measurement; the table reports each and their median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Directory for the cluster (default: a fresh one under the temp dir, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Group-commit rounds in flight at once (`StoreOptions::append_leaders`; 0 turns group
    /// commit off; default: the store's default).
    #[arg(long)]
    append_leaders: Option<usize>,
}

pub async fn run(args: Args) -> Result<()> {
    let (dir, remove_dir) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("docuvault-bench-{}", std::process::id())),
            true,
        ),
    };
    let cluster = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || PgCluster::start(&dir)).await??
    };
    let result = bench(&args, &cluster, &dir).await;
    drop(cluster);
    if remove_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn bench(args: &Args, cluster: &PgCluster, dir: &std::path::Path) -> Result<()> {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.url("postgres"))
        .await?;
    sqlx::query(&format!("create database {DB}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    // As `docuvault` configures its pool: no ping round trip before every checkout.
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .test_before_acquire(false)
        .connect(&cluster.url(DB))
        .await?;
    infra::migrate(&pool).await?;
    pgbench::create_table(&pool).await?;
    let (plain, notify) = pgbench::write_scripts(dir)?;
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    let mut options = StoreOptions::default();
    if let Some(n) = args.append_leaders {
        options.append_leaders = n;
    }
    eprintln!(
        "group commit: {} rounds in flight, up to {} appends each",
        options.append_leaders, options.max_grouped
    );
    let store = PgEventStore::with_options(pool.clone(), keys, options);
    let payload: Value = serde_json::from_str(pgbench::PAYLOAD)?;
    let secs = args.seconds;
    let bin = pgbench::find(cluster.bin_dir());
    let port = cluster.port();
    let clock = CpuClock::new(&dir.join("pg"))?;

    let mut rows: Vec<Row> = Vec::new();
    for c in WRITERS {
        rows.push(Row::new(format!("pgbench insert, {c} clients"), "rows/s"));
        rows.push(
            Row::new(format!("store append 1 event, {c} writers"), "events/s").against(
                &format!("pgbench insert, {c} clients"),
                (c == 32).then_some(0.7),
            ),
        );
    }
    rows.push(
        Row::new("pgbench insert + NOTIFY in its tx, 32 clients", "rows/s")
            .against("pgbench insert, 32 clients", None),
    );
    for c in [8, 32] {
        rows.push(
            Row::new(
                format!("store append 10-event batches, {c} writers"),
                "events/s",
            )
            .against(&format!("pgbench insert, {c} clients"), None),
        );
    }
    // Records one run: its rate, and the CPU spent on its `units` units of work.
    let row = |rows: &mut Vec<Row>, name: &str, v: f64, cpu: (f64, f64)| {
        eprintln!(
            "  {name}: {v:.0}/s, CPU µs per unit {:.0} client + {:.0} server",
            cpu.0, cpu.1
        );
        let r = rows
            .iter_mut()
            .find(|r| r.name == name)
            .expect("declared row");
        r.runs.push(v);
        r.cpu.push(cpu);
    };
    let secs_f = secs as f64;

    // Appends: baseline and store interleaved per run, so machine noise hits both alike.
    for run in 1..=args.runs {
        eprintln!("append run {run}/{}", args.runs);
        for c in WRITERS {
            let (b, p) = (bin.clone(), plain.clone());
            let t0 = clock.sample();
            let tps = tokio::task::spawn_blocking(move || pgbench::run(&b, port, DB, &p, c, secs))
                .await??;
            let cpu = t0.per_unit(&clock.sample(), tps * secs_f);
            row(&mut rows, &format!("pgbench insert, {c} clients"), tps, cpu);
            let t0 = clock.sample();
            let (rate, n) = appends(&store, &payload, c, 1, secs).await?;
            let cpu = t0.per_unit(&clock.sample(), n);
            row(
                &mut rows,
                &format!("store append 1 event, {c} writers"),
                rate,
                cpu,
            );
        }
        let (b, n) = (bin.clone(), notify.clone());
        let t0 = clock.sample();
        let tps =
            tokio::task::spawn_blocking(move || pgbench::run(&b, port, DB, &n, 32, secs)).await??;
        let cpu = t0.per_unit(&clock.sample(), tps * secs_f);
        row(
            &mut rows,
            "pgbench insert + NOTIFY in its tx, 32 clients",
            tps,
            cpu,
        );
        for c in [8, 32] {
            let t0 = clock.sample();
            let (rate, n) = appends(&store, &payload, c, 10, secs).await?;
            let cpu = t0.per_unit(&clock.sample(), n);
            row(
                &mut rows,
                &format!("store append 10-event batches, {c} writers"),
                rate,
                cpu,
            );
        }
    }

    let total = fill(&store, &pool, &payload, args.events, EVENTS_PER_STREAM).await?;
    sqlx::query("vacuum analyze events").execute(&pool).await?;
    let raw_name = format!("raw read, position order ({total} events)");
    let store_name = format!("store never-skip read_all ({total} events)");
    rows.push(Row::new(raw_name.clone(), "events/s"));
    rows.push(Row::new(store_name.clone(), "events/s").against(&raw_name, Some(0.8)));
    for run in 1..=args.runs {
        eprintln!("read run {run}/{}", args.runs);
        let t0 = clock.sample();
        let (n, t) = raw_read(&pool).await?;
        let cpu = t0.per_unit(&clock.sample(), n as f64);
        anyhow::ensure!(n == total, "raw read saw {n} of {total} events");
        row(&mut rows, &raw_name, n as f64 / t.as_secs_f64(), cpu);
        let t0 = clock.sample();
        let (n, t) = store_read(&store).await?;
        let cpu = t0.per_unit(&clock.sample(), n as f64);
        anyhow::ensure!(n == total, "store read saw {n} of {total} events");
        row(&mut rows, &store_name, n as f64 / t.as_secs_f64(), cpu);
    }

    let version: String = sqlx::query_scalar("show server_version")
        .fetch_one(&pool)
        .await?;
    println!(
        "Event store benchmark: PostgreSQL {version} (fsync on, synchronous_commit on), \
         {} runs, {secs} s per append measurement, {} cores\n",
        args.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("{}", table(&rows));
    pool.close().await;
    Ok(())
}

pub(crate) fn new_event(payload: &Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "DocumentUploaded".into(),
        schema_version: 1,
        data: payload.clone(),
        metadata: EventMetadata {
            actor_id: Some(Uuid::now_v7()),
            correlation_id: Some(Uuid::now_v7()),
            ..EventMetadata::default()
        },
        data_key: None,
        recorded_at: Utc::now(),
    }
}

/// Events per second (and events written) of `writers` concurrent writers appending
/// `batch`-event batches with exact expected versions, each to its own streams, for `seconds`.
async fn appends(
    store: &PgEventStore,
    payload: &Value,
    writers: usize,
    batch: usize,
    seconds: u64,
) -> Result<(f64, f64)> {
    let barrier = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let (store, payload, barrier) = (store.clone(), payload.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let deadline = start + Duration::from_secs(seconds);
                let mut written = 0u64;
                let mut stream = StreamId::new("bench", Uuid::now_v7());
                let mut version = 0u64;
                while Instant::now() < deadline {
                    if version >= EVENTS_PER_STREAM {
                        stream = StreamId::new("bench", Uuid::now_v7());
                        version = 0;
                    }
                    let events = (0..batch).map(|_| new_event(&payload)).collect();
                    let out = store
                        .append(&stream, ExpectedVersion::from_loaded(version), events)
                        .await?;
                    version = out.stream_version;
                    written += batch as u64;
                }
                anyhow::Ok((written, start.elapsed()))
            })
        })
        .collect();
    let mut total = 0;
    let mut longest = Duration::ZERO;
    for t in tasks {
        let (n, elapsed) = t.await??;
        total += n;
        longest = longest.max(elapsed);
    }
    Ok((total as f64 / longest.as_secs_f64(), total as f64))
}

/// Tops the log up to `target` events, appended in batches of `per_stream` events to fresh
/// streams; returns the final count.
pub(crate) async fn fill(
    store: &PgEventStore,
    pool: &PgPool,
    payload: &Value,
    target: u64,
    per_stream: u64,
) -> Result<u64> {
    let have: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await?;
    let missing = target.saturating_sub(have as u64);
    eprintln!("filling the log with {missing} more events");
    const FILLERS: u64 = 8;
    let tasks: Vec<_> = (0..FILLERS)
        .map(|i| {
            let (store, payload) = (store.clone(), payload.clone());
            let share = missing / FILLERS + u64::from(i < missing % FILLERS);
            tokio::spawn(async move {
                let mut left = share;
                while left > 0 {
                    let n = left.min(per_stream);
                    let events = (0..n).map(|_| new_event(&payload)).collect();
                    let stream = StreamId::new("fill", Uuid::now_v7());
                    store
                        .append(&stream, ExpectedVersion::NoStream, events)
                        .await?;
                    left -= n;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let have: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await?;
    Ok(have as u64)
}

type RawRow = (
    i64,
    Uuid,
    String,
    i64,
    String,
    i32,
    chrono::DateTime<Utc>,
    Value,
    Value,
);

/// The baseline read: one SELECT in position order per 1,000 events, decoded into plain tuples.
pub(crate) async fn raw_read(pool: &PgPool) -> Result<(u64, Duration)> {
    let start = Instant::now();
    let mut after = 0i64;
    let mut n = 0u64;
    loop {
        let rows: Vec<RawRow> = sqlx::query_as(
            "select global_position, event_id, stream_id, stream_version, event_type, \
             schema_version, recorded_at, data, metadata from events \
             where global_position > $1 order by global_position limit $2",
        )
        .bind(after)
        .bind(READ_BATCH as i64)
        .fetch_all(pool)
        .await
        .context("raw read")?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        n += rows.len() as u64;
    }
    Ok((n, start.elapsed()))
}

/// The store's catch-up read: `read_all` from the start, 1,000 events at a time.
pub(crate) async fn store_read(store: &PgEventStore) -> Result<(u64, Duration)> {
    let start = Instant::now();
    let mut after = Checkpoint::START;
    let mut n = 0u64;
    loop {
        let batch = store.read_all(after, READ_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.checkpoint;
        n += batch.len() as u64;
    }
    Ok((n, start.elapsed()))
}
