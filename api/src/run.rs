//! What each `docuvault` subcommand does: wiring config → database → event store → projectors →
//! HTTP server, and the operator tools (migrate, rebuild, audit verify, admin).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use secrecy::SecretString;

use crate::config::Config;
use crate::wiring::core::{open_core, Core, DevDatabase};

/// Human-readable logs by default, JSON lines with `DOCUVAULT_LOG_JSON=true`.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("DOCUVAULT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Resolves when Ctrl-C or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `docuvault dev`: the embedded default.
pub async fn dev(mut cfg: Config, bind: SocketAddr, data_dir: PathBuf) -> Result<ExitCode> {
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let data_dir = std::fs::canonicalize(&data_dir)?;
    cfg.bind = bind;
    cfg.data_dir = data_dir.clone();
    crate::secrets::load_or_create(&data_dir, &mut cfg)?;
    if cfg.blob.fs_root.is_none() {
        cfg.blob.fs_root = Some(data_dir.join("blobs"));
    }
    let cluster = if cfg.database_url.is_none() {
        let (cluster, url) = DevDatabase::start(data_dir.join("postgres")).await?;
        cfg.database_url = Some(SecretString::from(url));
        Some(cluster)
    } else {
        None
    };
    let result = run_services(cfg, Services::ALL, Mode::Dev).await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
        eprintln!("PostgreSQL stopped.");
    }
    result
}

/// Which long-running parts a process runs: the HTTP API (with the SPA and the background
/// sweeper), the projectors, a document-processing worker. `serve` runs the API and, unless told
/// otherwise, the other two; `projector` runs the other two without the API; `dev` runs all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Services {
    pub api: bool,
    pub projectors: bool,
    pub worker: bool,
}

impl Services {
    /// Everything in one process (`dev`, and `serve` by default).
    pub const ALL: Services = Services {
        api: true,
        projectors: true,
        worker: true,
    };
    /// `docuvault projector`: the projectors and a worker, no API.
    pub const PROJECTOR: Services = Services {
        api: false,
        projectors: true,
        worker: true,
    };
}

/// Whether a process is the zero-configuration `dev` one: it then creates the dev admin and
/// prints where its database and blobs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Dev,
    Serve,
}

/// `docuvault serve`.
pub async fn serve(cfg: Config, services: Services) -> Result<ExitCode> {
    run_services(cfg, services, Mode::Serve).await
}

/// `docuvault projector`: the projectors and a document-processing worker.
pub async fn projector(cfg: Config) -> Result<ExitCode> {
    run_services(cfg, Services::PROJECTOR, Mode::Serve).await
}

/// Runs `services` until Ctrl-C (or until the projectors fail, in a process without the API).
async fn run_services(cfg: Config, services: Services, mode: Mode) -> Result<ExitCode> {
    let cfg = Arc::new(cfg);
    let core = open_core(&cfg).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = || {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|s| *s).await;
        }
    };
    let mut api = None;
    let blobs = if services.api {
        let state = crate::wiring::build_state(cfg.clone(), &core).await?;
        let sweeper_ctx =
            commands::CommandContext::system(state.store.clone(), state.clock.clone());
        let documents = state.documents.clone();
        let dev_admin = if mode == Mode::Dev {
            let file = cfg.data_dir.join("admin-password");
            Some(
                crate::bootstrap::ensure_dev_admin(
                    state.store.clone(),
                    state.clock.clone(),
                    &state.identity,
                    &file,
                )
                .await
                .context("creating the dev admin")?,
            )
        } else {
            None
        };
        let app = crate::Application::build(state, cfg.bind).await?;
        // Abandoned uploads and old trash: every instance may sweep (each document is re-decided
        // against its own stream, so two sweepers never double-purge).
        let sweeper = crate::documents::sweeper::spawn(sweeper_ctx, &documents, stopped());
        api = Some((app, sweeper, dev_admin));
        documents.services.blobs.clone()
    } else {
        blob_store(&cfg).await?
    };
    let worker_task = services.worker.then(|| {
        crate::wiring::worker::spawn(
            crate::wiring::worker_parts(worker_context(&core), core.pool.clone(), blobs.clone()),
            stopped(),
        )
    });
    let mut projector_task = services.projectors.then(|| {
        let (pool, store) = (core.pool.clone(), core.store.clone());
        let all = crate::wiring::projections(blobs.clone());
        tokio::spawn(projections::run(pool, store, all, stopped()))
    });
    let mut sweeper = None;
    if let Some((app, sweeps, dev_admin)) = api {
        sweeper = Some(sweeps);
        let url = format!("http://{}", app.local_addr());
        println!("DocuVault is running at {url}");
        if mode == Mode::Dev {
            if let Some(db) = cfg.database_url() {
                println!("Database: {}", redact_password(db));
            }
            println!(
                "Blobs:    {}",
                cfg.blob
                    .fs_root
                    .as_deref()
                    .unwrap_or(cfg.data_dir.as_path())
                    .display()
            );
        }
        if let Some(admin) = &dev_admin {
            println!("Admin:    {} / {}", admin.email, admin.password);
        }
        println!("API docs: {url}/api/docs   Press Ctrl-C to stop.");
        app.run_until_stopped(shutdown_signal()).await?;
    } else {
        println!("projector running; Ctrl-C to stop");
        match projector_task.as_mut() {
            // Without the API the projectors are the process: their failure ends it.
            Some(task) => {
                tokio::select! {
                    _ = shutdown_signal() => {}
                    done = task => {
                        let _ = stop_tx.send(true);
                        if let Some(worker) = worker_task {
                            let _ = worker.await;
                        }
                        done??;
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
            None => shutdown_signal().await,
        }
    }
    let _ = stop_tx.send(true);
    if let Some(task) = sweeper {
        let _ = task.await;
    }
    if let Some(task) = worker_task {
        let _ = task.await;
    }
    if let Some(task) = projector_task {
        task.await??;
    }
    Ok(ExitCode::SUCCESS)
}

fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => {
            let user_end = s + 3 + url[s + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The context the worker records processing events with (the system actor).
fn worker_context(core: &Core) -> commands::CommandContext {
    commands::CommandContext::system(core.store.clone(), Arc::new(domain::ports::SystemClock))
}

/// The configured blob store, for processes that serve no blob URLs (projector, rebuild).
async fn blob_store(cfg: &Config) -> Result<Arc<dyn domain::blob::BlobStore>> {
    let clock: Arc<dyn domain::ports::Clock> = Arc::new(domain::ports::SystemClock);
    Ok(crate::wiring::documents::blob_store(cfg, None, clock)
        .await?
        .0)
}

/// `docuvault migrate`.
pub async fn migrate(cfg: Config) -> Result<ExitCode> {
    crate::wiring::core::migrate(&cfg).await?;
    println!("migrations applied");
    Ok(ExitCode::SUCCESS)
}

/// `docuvault rebuild NAME`: blue/green rebuild with a progress bar (rate and ETA).
pub async fn rebuild(cfg: Config, name: &str) -> Result<ExitCode> {
    let blobs = blob_store(&cfg).await?;
    let Some(projection) = crate::wiring::projection(name, blobs.clone()) else {
        let known = crate::wiring::projection_names(blobs);
        anyhow::bail!("no projection named `{name}` (known: {})", known.join(", "));
    };
    let core = open_core(&cfg).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {pos}/{len} events  {per_sec}  ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(name.to_owned());
    let progress_bar = bar.clone();
    let on_progress: projections::rebuild::ProgressFn = Arc::new(move |p| {
        progress_bar.set_length(p.events_total.max(p.events_done));
        progress_bar.set_position(p.events_done);
    });
    let store: Arc<dyn domain::ports::EventStore> = core.store.clone();
    let result = projections::rebuild(
        &core.pool,
        store,
        projection,
        projections::RuntimeOptions::default(),
        on_progress,
    )
    .await;
    bar.finish();
    let done = result?;
    println!(
        "rebuilt {name}: {} events at {:.0} events/s",
        done.events_done, done.events_per_second
    );
    Ok(ExitCode::SUCCESS)
}

/// `docuvault audit verify`: exits 1 and names the first broken stream and version on a break.
pub async fn audit_verify(cfg: Config) -> Result<ExitCode> {
    let report = crate::wiring::core::verify_log(&cfg).await?;
    println!("{report}");
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `docuvault admin rotate-cloud-key`.
pub async fn rotate_cloud_key(cfg: Config, old: &str, new: &str) -> Result<ExitCode> {
    let resealed = crate::wiring::core::rotate_cloud_key(&cfg, old, new).await?;
    println!(
        "re-sealed {resealed} cloud storage credentials; set DOCUVAULT_CLOUD_CREDS_KEY to the new key"
    );
    Ok(ExitCode::SUCCESS)
}

/// `docuvault admin create-user`.
pub async fn create_user(
    cfg: Config,
    email: &str,
    handle: &str,
    password: &str,
    role: &str,
) -> Result<ExitCode> {
    let role: domain::user::Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let cfg = Arc::new(cfg);
    let core = open_core(&cfg).await?;
    let identity = crate::auth::Identity::from_config(&cfg)?;
    let store: Arc<dyn domain::ports::EventStore> = core.store.clone();
    let created = crate::bootstrap::create_user(
        store,
        Arc::new(domain::ports::SystemClock),
        &identity,
        email,
        handle,
        password,
        role,
    )
    .await
    .map_err(crate::bootstrap::describe)?;
    println!(
        "created {} @{} ({}), id {}",
        created.email.as_str(),
        created.handle,
        created.role,
        created.user_id
    );
    Ok(ExitCode::SUCCESS)
}
