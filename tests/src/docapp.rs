//! The documents area's black-box fixture: the real app (`TestApp`) on a chosen blob store, with
//! a shiftable clock, signed-in users, direct access to the blob store (to plant or check
//! objects), and the sweeper on demand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::documents::Documents;
use commands::{CommandContext, Role};
use domain::blob::ObjectKey;
use domain::ids::{DocumentId, UserId};
use domain::ports::EventStore;
use projections::ConsistencyWaiter;
use uuid::Uuid;

use crate::app::{TestApp, TestAppOptions};
use crate::client::{Client, TokenCell};
use crate::clock::OffsetClock;

/// Which blob store the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Fs,
    S3,
}

pub struct DocApp {
    pub app: TestApp,
    pub base_url: String,
    clock: Arc<OffsetClock>,
    /// The same blob store and settings the app uses (same root or bucket).
    documents: Documents,
    waiter: ConsistencyWaiter,
    tokens: TokenCell,
}

impl DocApp {
    /// The app without a processing worker: documents stay `uploaded` (deterministic statuses).
    pub async fn spawn(backend: Backend) -> DocApp {
        Self::spawn_with(backend, false).await
    }

    /// The app as `docuvault serve` runs it, processing worker included.
    pub async fn spawn_processing(backend: Backend) -> DocApp {
        Self::spawn_with(backend, true).await
    }

    async fn spawn_with(backend: Backend, worker: bool) -> DocApp {
        let clock = Arc::new(OffsetClock::default());
        let s3 = (backend == Backend::S3).then(crate::s3server::s3_config);
        if let Some(cfg) = &s3 {
            infra::blob::S3BlobStore::new(cfg)
                .ensure_bucket()
                .await
                .expect("bucket");
        }
        let app = TestApp::spawn_with(TestAppOptions {
            configure: Some(Box::new(move |c| {
                if let Some(s3) = s3 {
                    c.blob.store = "s3".into();
                    c.blob.s3_endpoint = s3.endpoint;
                    c.blob.s3_region = s3.region;
                    c.blob.s3_bucket = Some(s3.bucket);
                    c.blob.s3_path_style = s3.path_style;
                    c.blob.s3_access_key = Some(s3.access_key);
                    c.blob.s3_secret_key = Some(s3.secret_key);
                }
            })),
            clock: Some(clock.clone()),
            no_projectors: false,
            worker,
        })
        .await;
        let documents = api::wiring::documents::documents(
            &app.config,
            app.db.pool.clone(),
            app.core.pages.clone(),
            Some(&app.url),
            clock.clone(),
        )
        .await
        .expect("documents");
        let store: Arc<dyn EventStore> = app.core.store.clone();
        let names = api::wiring::projection_names(documents.services.blobs.clone());
        let waiter = ConsistencyWaiter::new(app.db.pool.clone(), store, names);
        DocApp {
            base_url: app.url.clone(),
            app,
            clock,
            documents,
            waiter,
            tokens: Arc::new(Mutex::new(None)),
        }
    }

    /// Registers (users through `POST /api/auth/register`, admins through the operator's
    /// `create-user` path) and signs in through `POST /api/auth/login`.
    async fn account(&self, handle: &str, role: Role) -> Client {
        let http = reqwest::Client::new();
        let email = format!("{handle}@example.org");
        let password = format!("Tq9-vault-{}", Uuid::new_v4().simple());
        if role == Role::User {
            let res = http
                .post(format!("{}/api/auth/register", self.base_url))
                .json(&serde_json::json!({"email": email, "handle": handle, "password": password}))
                .send()
                .await
                .expect("register");
            assert!(res.status().is_success(), "register: {}", res.status());
        } else {
            let identity = api::auth::Identity::from_config(&self.app.config).expect("identity");
            api::bootstrap::create_user(
                self.app.core.store.clone(),
                self.clock.clone(),
                &identity,
                &email,
                handle,
                &password,
                role,
            )
            .await
            .expect("create admin");
        }
        let login: serde_json::Value = http
            .post(format!("{}/api/auth/login", self.base_url))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("token");
        let token = login["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        let me: serde_json::Value = http
            .get(format!("{}/api/auth/me", self.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("me body");
        let id = me["id"].as_str().expect("id").parse().expect("uuid");
        Client::new(&self.base_url, id, token, self.tokens.clone())
    }

    pub async fn user(&self, handle: &str) -> Client {
        self.account(handle, Role::User).await
    }

    pub async fn admin(&self, handle: &str) -> Client {
        self.account(handle, Role::Admin).await
    }

    pub async fn auditor(&self, handle: &str) -> Client {
        self.account(handle, Role::Auditor).await
    }

    /// A client with no bearer token at all (for 401 checks).
    pub fn anonymous(&self) -> Client {
        Client::new(
            &self.base_url,
            Uuid::nil(),
            String::new(),
            self.tokens.clone(),
        )
    }

    /// Waits until the projections reflect `position`; every client's next read waits for it.
    async fn settle(&self, position: u64) {
        let caught_up = self
            .waiter
            .wait_for(position, Duration::from_secs(10))
            .await
            .expect("wait");
        assert!(caught_up, "projections did not catch up");
        let mut cell = self.tokens.lock().expect("token cell");
        *cell = Some(cell.map_or(position, |p| p.max(position)));
    }

    /// Waits until the projections reflect the whole log as it is now (after writes made
    /// outside HTTP, e.g. through command functions); every client's next read waits for it.
    pub async fn settle_log(&self) {
        let last: Option<i64> = sqlx::query_scalar("select max(global_position) from events")
            .fetch_one(&self.app.db.pool)
            .await
            .expect("max position");
        if let Some(pos) = last {
            self.settle(pos as u64).await;
        }
    }

    /// Moves the server's clock by `offset` from real time (zero: back to real time).
    pub fn shift_clock(&self, offset: chrono::Duration) {
        self.clock.set_offset(offset);
    }

    /// Runs the documents sweeper as if `offset` had passed, then settles the projections.
    pub async fn sweep_after(&self, offset: chrono::Duration) {
        self.clock.set_offset(offset);
        let ctx = CommandContext::system(self.app.core.store.clone(), self.clock.clone());
        api::documents::sweeper::sweep_once(&ctx, &self.documents.services).await;
        self.clock.set_offset(chrono::Duration::zero());
        self.settle_log().await;
    }

    fn key(owner: Uuid, document: &str) -> ObjectKey {
        ObjectKey::document(
            UserId(owner),
            DocumentId(document.parse().expect("document id")),
        )
    }

    /// Stores bytes under a document's key directly (as a client bypassing the signed URL's
    /// checks could, through a misconfigured store).
    pub async fn put_object(&self, owner: Uuid, document: &str, bytes: &[u8]) {
        let body = futures::stream::iter(vec![Ok(bytes::Bytes::copy_from_slice(bytes))]);
        self.documents
            .services
            .blobs
            .put(
                &Self::key(owner, document),
                "application/octet-stream",
                Box::pin(body),
                u64::MAX,
            )
            .await
            .expect("put object");
    }

    pub async fn object_exists(&self, owner: Uuid, document: &str) -> bool {
        self.documents
            .services
            .blobs
            .head(&Self::key(owner, document))
            .await
            .expect("head")
            .is_some()
    }

    /// The document services on the app's store and database (for seeding benchmarks).
    pub fn services(&self) -> &commands::documents::DocumentServices {
        &self.documents.services
    }

    pub fn command_context(&self) -> CommandContext {
        CommandContext::system(self.app.core.store.clone(), self.clock.clone())
    }
}
