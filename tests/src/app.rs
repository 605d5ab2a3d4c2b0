//! `TestApp`: the real application (router, event store, in-process projectors) on its own fresh
//! database and a random loopback port, for black-box HTTP tests.

use std::sync::Arc;

use api::config::Config;
use api::wiring::core::Core;
use base64::Engine;
use domain::ports::Clock;
use secrecy::SecretString;

use crate::TestDb;

/// A running app. Dropping it stops the server and its projectors.
pub struct TestApp {
    pub db: TestDb,
    /// e.g. `http://127.0.0.1:40123`
    pub url: String,
    pub core: Core,
    pub config: Arc<Config>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// A change to the test configuration.
pub type Configure = Box<dyn FnOnce(&mut Config) + Send>;

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct TestAppOptions {
    /// Changes to the default test configuration (filesystem blobs under a temp dir, fresh keys).
    pub configure: Option<Configure>,
    /// Replaces the system clock (expiry, TOTP windows, throttling).
    pub clock: Option<Arc<dyn Clock>>,
    /// Run without in-process projectors (e.g. to test a separate projector process).
    pub no_projectors: bool,
    /// Run a document-processing worker in the app's process (as `docuvault serve` does).
    pub worker: bool,
}

fn random_key() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The configuration every test app starts from.
pub fn test_config(db_url: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("docuvault-test-{}", uuid::Uuid::now_v7()));
    let mut cfg = Config {
        bind: "127.0.0.1:0".parse().expect("static address"),
        database_url: Some(SecretString::from(db_url.to_owned())),
        master_key: Some(SecretString::from(random_key())),
        jwt_keys: Some(SecretString::from(format!("t1:{}", random_key()))),
        url_signing_key: Some(SecretString::from(random_key())),
        cloud_creds_key: Some(SecretString::from(random_key())),
        // The test WebDAV server listens on loopback over plain http.
        cloud_allowed_hosts: "127.0.0.1".into(),
        data_dir: dir.clone(),
        consistency_wait_ms: 10_000,
        ..Config::default()
    };
    cfg.blob.fs_root = Some(dir.join("blobs"));
    cfg
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestAppOptions::default()).await
    }

    pub async fn spawn_with(options: TestAppOptions) -> TestApp {
        let db = TestDb::new().await;
        let mut cfg = test_config(&db.url);
        if let Some(configure) = options.configure {
            configure(&mut cfg);
        }
        let cfg = Arc::new(cfg);
        let core = api::wiring::core::open_core(&cfg)
            .await
            .expect("open core services");
        let clock = options
            .clock
            .unwrap_or_else(|| Arc::new(domain::ports::SystemClock));
        let state = api::wiring::build_state_with(cfg.clone(), &core, clock.clone())
            .await
            .expect("build state");
        let blobs = state.documents.services.blobs.clone();
        let app = api::Application::build(state, cfg.bind)
            .await
            .expect("bind test server");
        let url = format!("http://{}", app.local_addr());
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut server_stop = stop_rx.clone();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = server_stop.wait_for(|s| *s).await;
        }));
        if options.worker {
            let ctx = commands::CommandContext::system(core.store.clone(), clock);
            let mut parts = api::wiring::worker_parts(ctx, core.pool.clone(), blobs.clone());
            // Tests poll for results: a short idle keeps them fast.
            parts.config.idle = std::time::Duration::from_millis(50);
            parts.queue.base_backoff = std::time::Duration::from_millis(200);
            let mut worker_stop = stop_rx.clone();
            api::wiring::worker::spawn(parts, async move {
                let _ = worker_stop.wait_for(|s| *s).await;
            });
        }
        if !options.no_projectors {
            let (pool, store) = (core.pool.clone(), core.store.clone());
            let all = api::wiring::projections(blobs);
            let mut projector_stop = stop_rx;
            tokio::spawn(async move {
                let shutdown = async move {
                    let _ = projector_stop.wait_for(|s| *s).await;
                };
                if let Err(e) = projections::run(pool, store, all, shutdown).await {
                    panic!("projectors failed: {e}");
                }
            });
        }
        TestApp {
            db,
            url,
            core,
            config: cfg,
            stop,
        }
    }

    /// `self.url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
