//! The documents read benchmark (ignored by default; numbers go to `docs/benchmarks.md`): seed
//! documents through the real command path — many users with many documents each, and one user
//! with a large collection — then hit a folder page and a single document with 32 concurrent
//! HTTP connections (`wrk`, Debian package `wrk`) and report p50/p99 and throughput.
//!
//! Run: `DOCUVAULT_BENCH_DOCS=100000 DOCUVAULT_BENCH_USERS=1000 DOCUVAULT_BENCH_DOCS_PER_USER=1000
//! cargo test --release -p docuvault-tests --test it documents_bench -- --ignored --nocapture
//! --test-threads=1`. Seeding runs with `synchronous_commit = off` (the data path is the product's;
//! only the commit flush is deferred, so setting up a million documents takes minutes, not hours);
//! it is back on before anything is measured.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commands::documents::upload;
use commands::{Actor, Role};
use docuvault_tests::docapp::{Backend, DocApp};
use domain::ids::UserId;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Uploads document `i` for `owner` through the one-step upload command.
async fn upload_one(app: &DocApp, owner: UserId, i: usize) {
    let ctx = app.command_context().with_actor(Actor::User {
        id: owner.as_uuid(),
        role: Role::User,
    });
    let body = futures::stream::iter(vec![Ok(bytes::Bytes::from(format!("doc {i}")))]);
    upload::upload_stream(
        &ctx,
        app.services(),
        owner,
        &format!("doc-{i:07}.txt"),
        "text/plain",
        None,
        Box::pin(body),
    )
    .await
    .expect("seed upload");
}

/// Seeds `n` documents for one owner, `parallel` at a time (they contend on its quota stream).
async fn seed_one_owner(app: &Arc<DocApp>, owner: UserId, n: usize, parallel: usize) -> Duration {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let (next, app) = (next.clone(), app.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                upload_one(&app, owner, i).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("seeder");
    }
    started.elapsed()
}

/// Seeds `per_user` documents for each of `owners`, one task per owner at a time.
async fn seed_many_owners(
    app: &Arc<DocApp>,
    owners: Arc<Vec<UserId>>,
    per_user: usize,
    parallel: usize,
) -> Duration {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let (next, done, app, owners) = (next.clone(), done.clone(), app.clone(), owners.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let u = next.fetch_add(1, Ordering::Relaxed);
                let Some(owner) = owners.get(u) else { break };
                for i in 0..per_user {
                    upload_one(&app, *owner, i).await;
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished % 50 == 0 {
                    eprintln!(
                        "  {finished}/{} owners seeded ({:.0} documents/s)",
                        owners.len(),
                        (finished * per_user) as f64 / started.elapsed().as_secs_f64()
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("seeder");
    }
    started.elapsed()
}

/// Turns the cluster's commit flush off (seeding) or back on (measuring).
async fn synchronous_commit(app: &DocApp, on: bool) {
    let pool = &app.app.db.pool;
    let value = if on { "on" } else { "off" };
    sqlx::query(&format!("alter system set synchronous_commit = {value}"))
        .execute(pool)
        .await
        .expect("alter system");
    sqlx::query("select pg_reload_conf()")
        .execute(pool)
        .await
        .expect("reload");
}

/// Waits (bounded by `limit`) until the projections reflect the whole log.
async fn settle(app: &DocApp, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let lag: (i64,) = sqlx::query_as(
            "select coalesce((select max(global_position) from events), 0) \
                  - coalesce(min(pos), 0) from projection_checkpoints",
        )
        .fetch_one(&app.app.db.pool)
        .await
        .expect("lag");
        if lag.0 <= 0 {
            break;
        }
        assert!(
            started.elapsed() < limit,
            "projections still {} behind",
            lag.0
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    app.settle_log().await;
    started.elapsed()
}

/// What one load run measured, as `wrk --latency` reports it.
struct Load {
    requests: u64,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// A `wrk` latency such as `812.00us`, `3.41ms` or `1.02s`, in milliseconds.
fn wrk_ms(v: &str) -> f64 {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        panic!("wrk latency {v:?}")
    };
    num.parse::<f64>().expect("wrk number") * scale
}

/// Reads the figures out of `wrk --latency`'s report; panics on any non-2xx answer.
fn parse_wrk(out: &str) -> Load {
    assert!(
        !out.contains("Non-2xx") && !out.contains("Socket errors"),
        "wrk saw failures:\n{out}"
    );
    let field = |prefix: &str| -> Vec<String> {
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in wrk's report:\n{out}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    Load {
        requests: out
            .lines()
            .find(|l| l.contains(" requests in "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("request count"),
        rate: field("Requests/sec:")[1].parse().expect("rate"),
        p50_ms: wrk_ms(&field("50%")[1]),
        p99_ms: wrk_ms(&field("99%")[1]),
    }
}

/// `wrk` (a separate process, one thread) keeps `connections` keep-alive connections busy on
/// `path` for `duration`, each request with the bearer token and the latest consistency token, as
/// the SPA sends them. One request is checked first (status, body, not stale).
async fn load(
    base: &str,
    token: &str,
    consistency: Option<u64>,
    path: &str,
    connections: usize,
    duration: Duration,
) -> Load {
    let url = format!("{base}{path}");
    let mut probe = reqwest::Client::new().get(&url).bearer_auth(token);
    if let Some(pos) = consistency {
        probe = probe.header("x-consistency-token", pos);
    }
    let res = probe.send().await.expect("probe request");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    assert!(res.headers().get("x-consistency-stale").is_none());
    assert!(!res.bytes().await.expect("probe body").is_empty());

    let mut cmd = tokio::process::Command::new("wrk");
    cmd.args(["--latency", "-t1"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs()))
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"));
    if let Some(pos) = consistency {
        cmd.arg("-H").arg(format!("x-consistency-token: {pos}"));
    }
    let out = cmd
        .arg(&url)
        .output()
        .await
        .expect("run wrk (Debian package `wrk`)");
    assert!(out.status.success(), "wrk failed: {out:?}");
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// Prints how PostgreSQL planned the busiest statements on a pool's connections (each connection
/// holds its own prepared statements): one re-planned at every execution shows custom plans.
async fn plan_report(name: &str, pool: &sqlx::PgPool) {
    let mut held = Vec::new();
    let mut plans: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for _ in 0..pool.size() {
        let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(1), pool.acquire()).await
        else {
            break;
        };
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "select generic_plans, custom_plans, left(t, 50) || ' … ' || right(t, 70) \
             from (select generic_plans, custom_plans, \
                          regexp_replace(statement, '\\s+', ' ', 'g') as t \
                   from pg_prepared_statements) p",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("prepared statements");
        for (generic, custom, statement) in rows {
            let e = plans.entry(statement).or_default();
            e.0 += generic;
            e.1 += custom;
        }
        held.push(conn);
    }
    let mut plans: Vec<_> = plans.into_iter().collect();
    plans.sort_by_key(|(_, (g, c))| -(g + c));
    for (statement, (generic, custom)) in plans.into_iter().take(4) {
        println!(
            "{name} pool ({} connections): {generic} generic, {custom} custom plans: {statement}",
            held.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: seeds many documents; run alone with --ignored --release"]
async fn documents_read_latency() {
    let big = env_usize("DOCUVAULT_BENCH_DOCS", 10_000);
    let users = env_usize("DOCUVAULT_BENCH_USERS", 0);
    let per_user = env_usize("DOCUVAULT_BENCH_DOCS_PER_USER", 1_000);
    let seconds = env_usize("DOCUVAULT_BENCH_SECONDS", 10) as u64;
    let app = Arc::new(DocApp::spawn(Backend::Fs).await);
    let admin = app.admin("bench_admin").await;

    // The owners register through the operator's path (no HTTP, same events); the one with the
    // large collection signs in after seeding (access tokens live 15 minutes).
    let identity = api::auth::Identity::from_config(&app.app.config).expect("identity");
    let password = "Tq9-vault-bench-password";
    let mut owners = Vec::with_capacity(users + 1);
    for u in 0..=users {
        let registered = api::bootstrap::create_user(
            app.app.core.store.clone(),
            Arc::new(domain::ports::SystemClock),
            &identity,
            &format!("bench{u:04}@example.org"),
            &format!("bench{u:04}"),
            password,
            Role::User,
        )
        .await
        .expect("create bench user");
        owners.push(registered.user_id);
    }
    let owner = owners.pop().expect("the large collection's owner");
    app.settle_log().await;
    let (status, _) = admin
        .put(
            &format!("/api/admin/users/{}/quota", owner.as_uuid()),
            serde_json::json!({"limit_bytes": 1u64 << 40}),
        )
        .await;
    assert!(status.is_success(), "quota: {status}");

    synchronous_commit(&app, false).await;
    let many = seed_many_owners(&app, Arc::new(owners.clone()), per_user, 32).await;
    let one = seed_one_owner(&app, owner, big, 8).await;
    let projected = settle(&app, Duration::from_secs(3_600)).await;
    synchronous_commit(&app, true).await;
    let (documents,): (i64,) = sqlx::query_as("select count(*) from documents")
        .fetch_one(&app.app.db.pool)
        .await
        .expect("count");
    println!(
        "seeded {} documents for {users} owners in {:.0}s ({:.0}/s) and {big} for one owner in \
         {:.0}s ({:.0}/s); projections caught up {:.0}s later; documents read model: {documents} rows",
        users * per_user,
        many.as_secs_f64(),
        (users * per_user) as f64 / many.as_secs_f64().max(0.001),
        one.as_secs_f64(),
        big as f64 / one.as_secs_f64(),
        projected.as_secs_f64(),
    );
    assert_eq!(documents as usize, users * per_user + big);

    let position: Option<i64> = sqlx::query_scalar("select max(global_position) from events")
        .fetch_one(&app.app.db.pool)
        .await
        .expect("head");
    let consistency = position.map(|p| p as u64);
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/api/auth/login", app.base_url))
        .json(&serde_json::json!({"email": format!("bench{users:04}@example.org"), "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login["access_token"].as_str().expect("access token");
    let page: serde_json::Value = http
        .get(format!(
            "{}/api/documents?folder_id=root&limit=1",
            app.base_url
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("first page")
        .json()
        .await
        .expect("page body");
    let id = page["items"][0]["id"].as_str().expect("a document");
    let duration = Duration::from_secs(seconds);
    let runs = [
        (
            "folder page (50, newest first)",
            "/api/documents?folder_id=root&limit=50".to_owned(),
        ),
        ("one document", format!("/api/documents/{id}")),
    ];
    println!("| request | requests | requests/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, path) in &runs {
        let r = load(&app.base_url, token, consistency, path, 32, duration).await;
        println!(
            "| {name} | {} | {:.0} | {:.1} | {:.1} |",
            r.requests, r.rate, r.p50_ms, r.p99_ms
        );
        assert!(r.requests > 0);
    }
    plan_report("main", &app.app.core.pool).await;
    plan_report("pages", &app.app.core.pages).await;
}
