//! Assembly: which projections exist, how `AppState` is built from the core services, and the
//! adapter that lets the HTTP layer wait on projection checkpoints.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::blob::BlobStore;
use domain::ports::{Clock, EventStore, SystemClock};
use projections::{ConsistencyWaiter, Projection};

use crate::config::Config;
use crate::state::{AppState, PositionWaiter};
use crate::wiring::core::Core;

pub mod classifier;
pub mod core;
pub mod documents;
mod identity;
pub mod worker;

/// Every projection the product runs, in one place. `blobs` is the store the search projection
/// reads extracted text from.
pub fn projections(blobs: Arc<dyn BlobStore>) -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(projections::StreamStats),
        Arc::new(projections::users::Users),
        Arc::new(projections::documents::DocumentsProjection),
        Arc::new(projections::audit::Audit),
        Arc::new(projections::topics::TopicsProjection),
        Arc::new(projections::storage::StorageProjection),
        Arc::new(projections::processing::ProcessingProjection),
        // The processing worker's job queue is fed like a read model.
        Arc::new(projections::processing::ProcessingReactor),
        Arc::new(projections::search::SearchProjection::new(Arc::new(
            infra::processing::BlobTextLoader(blobs),
        ))),
    ]
}

/// The processing worker's adapters, with the production policies: the job queue and the
/// classifier's models on `pool`, documents through the event store (`ctx`) and `blobs`.
pub fn worker_parts(
    ctx: commands::CommandContext,
    pool: infra::db::PgPool,
    blobs: Arc<dyn BlobStore>,
) -> crate::wiring::worker::WorkerParts {
    use infra::processing::{JobQueue, PgModelStore, QueueConfig, StoreDocumentSource};
    let source = StoreDocumentSource::new(ctx.clone(), pool.clone(), blobs);
    let models = Arc::new(PgModelStore::new(pool.clone()));
    crate::wiring::worker::WorkerParts::new(
        ctx,
        JobQueue::new(pool, QueueConfig::default()),
        Arc::new(source),
        Arc::new(infra::classify::BuiltinClassifier::new(models)),
    )
}

/// Finds one projection by name (for `docuvault rebuild NAME` and the admin API).
pub fn projection(name: &str, blobs: Arc<dyn BlobStore>) -> Option<Arc<dyn Projection>> {
    projections(blobs).into_iter().find(|p| p.name() == name)
}

/// The names of every projection (what the consistency waiter waits for).
pub fn projection_names(blobs: Arc<dyn BlobStore>) -> Vec<String> {
    projections(blobs)
        .iter()
        .map(|p| p.name().to_owned())
        .collect()
}

struct Waiter(ConsistencyWaiter);

#[async_trait]
impl PositionWaiter for Waiter {
    async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        match self.0.wait_for(position, timeout).await {
            Ok(caught_up) => caught_up,
            Err(e) => {
                tracing::warn!(error = %e, "consistency wait failed; serving possibly stale data");
                false
            }
        }
    }
}

/// The Prometheus recorder is process-global: installed once, shared by every app in the process.
pub fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .clone()
}

/// The audit index's reads (for the audit routes and the `docuvault audit` tools).
pub fn audit_reads(core: &Core) -> Arc<dyn projections::audit::query::AuditReads> {
    Arc::new(infra::readmodels::audit::PgAuditReads::new(
        core.pool.clone(),
    ))
}

/// Builds the request state from the core services (and opens the blob store).
pub async fn build_state(cfg: Arc<Config>, core: &Core) -> anyhow::Result<AppState> {
    build_state_with(cfg, core, Arc::new(SystemClock)).await
}

/// [`build_state`] with another clock (tests shift it to exercise expiry and retention).
pub async fn build_state_with(
    cfg: Arc<Config>,
    core: &Core,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    let store: Arc<dyn EventStore> = core.store.clone();
    // Without a configured public URL the filesystem store's URLs are relative and each
    // response completes them from its request.
    let documents = documents::documents(
        &cfg,
        core.pool.clone(),
        core.pages.clone(),
        cfg.public_url.as_deref(),
        clock.clone(),
    )
    .await?;
    let names = projection_names(documents.services.blobs.clone());
    let waiter = ConsistencyWaiter::new(core.pool.clone(), store.clone(), names);
    let identity = Arc::new(crate::auth::Identity::from_config(&cfg)?);
    let storage = storage_deps(&cfg, core)?;
    Ok(AppState {
        config: cfg,
        store,
        keys: core.keys.clone(),
        clock,
        metrics: metrics_handle(),
        waiter: Some(Arc::new(Waiter(waiter))),
        identity,
        documents,
        topics: Arc::new(infra::readmodels::topics::PgTopics::new(core.pool.clone())),
        processing: Arc::new(infra::readmodels::processing::PgProcessing::new(
            core.pool.clone(),
        )),
        // The search statements' plans do not depend on their parameters: the page-read pool.
        search: Arc::new(infra::readmodels::search::PgSearch::new(core.pages.clone())),
        owned_documents: Arc::new(infra::readmodels::erasure::PgOwnedDocuments::new(
            core.pool.clone(),
        )),
        audit: audit_reads(core),
        users: Arc::new(infra::readmodels::users::PgUserReads::new(
            core.pool.clone(),
        )),
        projections: projections::Operations::new(core.pool.clone(), core.store.clone()),
        storage,
        storage_reads: Arc::new(infra::readmodels::storage::PgStorageReads::new(
            core.pool.clone(),
        )),
    })
}

/// The storage commands' adapters: the WebDAV account check under the outbound policy
/// (`DOCUVAULT_CLOUD_ALLOWED_HOSTS`) and the credential vault sealed with
/// `DOCUVAULT_CLOUD_CREDS_KEY`; `None` when no key is configured.
fn storage_deps(
    cfg: &Config,
    core: &Core,
) -> anyhow::Result<Option<commands::storage::StorageDeps>> {
    use anyhow::Context;
    use secrecy::ExposeSecret;
    let Some(key) = &cfg.cloud_creds_key else {
        return Ok(None);
    };
    let key = infra::storage::CloudCredsKey::from_base64(key.expose_secret()).map_err(|_| {
        anyhow::anyhow!("DOCUVAULT_CLOUD_CREDS_KEY must be base64 of exactly 32 bytes")
    })?;
    let policy: infra::outbound::OutboundPolicy = cfg
        .cloud_allowed_hosts
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))
        .context("DOCUVAULT_CLOUD_ALLOWED_HOSTS")?;
    Ok(Some(commands::storage::StorageDeps {
        connector: Arc::new(infra::storage::WebDavConnector::new(policy)),
        vault: Arc::new(infra::storage::PgCredentialVault::new(
            core.pool.clone(),
            key,
        )),
    }))
}
