//! The test harness: one ephemeral PostgreSQL cluster per test process (or `DATABASE_URL`), a
//! fresh database per test cloned from a migrated template, and helpers to start the real app.
//! A dev-only crate: it may depend on every other one; nothing depends on it.

pub mod app;
pub mod client;
pub mod clock;
pub mod docapp;
pub mod fsblobs;
pub mod s3server;
pub mod webdav;

use std::sync::OnceLock;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};
use tokio::sync::OnceCell;
use uuid::Uuid;

static CLUSTER: OnceLock<Server> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

struct Server {
    /// Base URL without a database name, e.g. `postgres://postgres@127.0.0.1:5432`.
    base: String,
    /// Kept alive for the whole process; a watchdog stops it when the process exits.
    _cluster: Option<infra::pgcluster::PgCluster>,
}

fn server() -> &'static Server {
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            let base = match url.rfind('/') {
                Some(i) if i > "postgres://".len() => url[..i].to_owned(),
                _ => url,
            };
            return Server {
                base,
                _cluster: None,
            };
        }
        let dir = std::env::temp_dir().join(format!("docuvault-test-pg-{}", std::process::id()));
        let cluster = infra::pgcluster::PgCluster::start(&dir).expect("start ephemeral PostgreSQL");
        let base = format!("postgres://postgres@127.0.0.1:{}", cluster.port());
        spawn_watchdog(&dir);
        Server {
            base,
            _cluster: Some(cluster.keep_running()),
        }
    })
}

/// Statics are never dropped, so a small shell process stops the cluster once this test process
/// is gone and removes its directory.
fn spawn_watchdog(dir: &std::path::Path) {
    let pid = std::process::id();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         for b in $(command -v pg_ctl) /usr/lib/postgresql/*/bin/pg_ctl; do [ -x \"$b\" ] && break; done; \
         if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$b\" -D '{d}/pg' -m immediate stop; \
         else \"$b\" -D '{d}/pg' -m immediate stop; fi >/dev/null 2>&1; rm -rf '{d}'",
        d = dir.display()
    );
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Base URL of the test server (no database name).
pub fn server_base_url() -> &'static str {
    &server().base
}

/// A fresh, migrated database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let base = server_base_url();
        let template = TEMPLATE
            .get_or_init(|| async {
                let name = format!("tmpl_{}", Uuid::now_v7().simple());
                let mut admin = admin_conn(base).await;
                admin
                    .execute(format!("create database {name}").as_str())
                    .await
                    .expect("create template database");
                let url = format!("{base}/{name}");
                let pool = PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await
                    .expect("connect template");
                infra::migrate(&pool).await.expect("migrate template");
                pool.close().await;
                name
            })
            .await;
        let name = format!("t_{}", Uuid::now_v7().simple());
        let mut admin = admin_conn(base).await;
        admin
            .execute(format!("create database {name} template {template}").as_str())
            .await
            .expect("create test database");
        let url = format!("{base}/{name}");
        let pool = PgPoolOptions::new()
            .max_connections(40)
            .connect(&url)
            .await
            .expect("connect test database");
        TestDb { name, url, pool }
    }
}

async fn admin_conn(base: &str) -> sqlx::PgConnection {
    let opts: PgConnectOptions = format!("{base}/postgres").parse().expect("database url");
    opts.connect().await.expect("connect to the test server")
}

/// Statics are never dropped: a small shell process stops a server this test process started
/// (`child`) once the test process is gone, and removes the server's data (`dir`).
pub(crate) fn stop_with_this_process(child: u32, dir: &std::path::Path) {
    use std::process::{Command, Stdio};
    let pid = std::process::id();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; kill {child} 2>/dev/null; sleep 1; rm -rf '{}'",
        dir.display()
    );
    let _ = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Starts a test server process (`command`, quiet), has it stopped (and `dir` removed) when this
/// test process ends, and waits until it listens on `port`.
pub(crate) fn start_server(
    mut command: std::process::Command,
    port: u16,
    dir: &std::path::Path,
    what: &str,
) {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    stop_with_this_process(child.id(), dir);
    // Reaps the server once the watchdog has stopped it.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    // Starts in milliseconds; poll with a bound instead of sleeping a guess.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening (its files: {})",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
