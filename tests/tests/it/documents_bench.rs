//! The documents read benchmark (ignored by default; numbers go to `docs/benchmarks.md`):
//! seed documents for one user through the real command path, then hit a folder page and a
//! single document with 32 concurrent HTTP connections and report p50/p99.
//!
//! Run: `DOCUVAULT_BENCH_DOCS=100000 cargo test --release -p docuvault-tests --test it
//! documents_bench -- --ignored --nocapture --test-threads=1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use commands::documents::upload;
use commands::{Actor, Role};
use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use domain::ids::UserId;

/// Seeds `n` small documents for `owner` through the upload handler, `parallel` at a time.
async fn seed(app: &DocApp, owner: UserId, n: usize, parallel: usize) -> Duration {
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let (next, svc) = (next.clone(), app.services().clone());
        let ctx = app.command_context().with_actor(Actor::User {
            id: owner.as_uuid(),
            role: Role::User,
        });
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body = futures::stream::iter(vec![Ok(bytes::Bytes::from(format!("doc {i}")))]);
                upload::upload_stream(
                    &ctx,
                    &svc,
                    owner,
                    &format!("doc-{i:07}.txt"),
                    "text/plain",
                    None,
                    Box::pin(body),
                )
                .await
                .expect("seed upload");
            }
        }));
    }
    for t in tasks {
        t.await.expect("seeder");
    }
    started.elapsed()
}

/// `connections` clients requesting `path` for `duration`; sorted latencies.
async fn load(
    client: &Client,
    path: &str,
    connections: usize,
    duration: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, path) = (client.clone(), path.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, _) = client.get(&path).await;
                assert!(status.is_success(), "{path}: {status}");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("load task"));
    }
    all.sort();
    all
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: seeds many documents; run alone with --ignored --release"]
async fn documents_read_latency() {
    let n: usize = std::env::var("DOCUVAULT_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("bench_admin").await;
    let owner = app.user("bench_owner").await;
    let (status, _) = admin
        .put(
            &format!("/api/admin/users/{}/quota", owner.id),
            serde_json::json!({"limit_bytes": 1u64 << 40}),
        )
        .await;
    assert!(status.is_success());
    let seeded = seed(&app, UserId(owner.id), n, 8).await;
    // Wait for the projections, then read one id to fetch.
    app.sweep_after(chrono::Duration::zero()).await;
    let (_, page) = owner.get("/api/documents?folder_id=root&limit=1").await;
    let id = page["items"][0]["id"]
        .as_str()
        .expect("a document")
        .to_owned();
    let list = load(
        &owner,
        "/api/documents?folder_id=root&limit=50",
        32,
        Duration::from_secs(10),
    )
    .await;
    let one = load(
        &owner,
        &format!("/api/documents/{id}"),
        32,
        Duration::from_secs(10),
    )
    .await;
    println!(
        "seeded {n} documents in {:.1}s ({:.0}/s); folder page: {} requests, p50 {:.1} ms, p99 {:.1} ms; \
         one document: {} requests, p50 {:.1} ms, p99 {:.1} ms",
        seeded.as_secs_f64(),
        n as f64 / seeded.as_secs_f64(),
        list.len(),
        pct(&list, 0.5),
        pct(&list, 0.99),
        one.len(),
        pct(&one, 0.5),
        pct(&one, 0.99),
    );
    assert!(!list.is_empty() && !one.is_empty());
}
