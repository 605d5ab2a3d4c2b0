//! `AppState`: everything a handler may need, built once at startup and cloned per request; and
//! the command context of a request, built from it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::FromRef;
use axum::http::HeaderMap;
use commands::{Actor, CommandContext};
use domain::ids::UserId;
use domain::ports::{Clock, DataKeys, EventStore};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Identity;
use crate::config::Config;
use crate::routes::blobs::FsBlobs;

/// Waits until the read models reflect a global position (the `X-Consistency-Token` middleware
/// in `crate::consistency` asks it; `wiring` adapts the projections' waiter to it).
#[async_trait]
pub trait PositionWaiter: Send + Sync {
    /// `true` once every projection has processed the event at `position`; `false` on timeout.
    async fn wait_for(&self, position: u64, timeout: Duration) -> bool;
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn EventStore>,
    pub keys: Arc<dyn DataKeys>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Option<PrometheusHandle>,
    /// Present when projections run (in this process or another): backs `X-Consistency-Token`.
    pub waiter: Option<Arc<dyn PositionWaiter>>,
    /// Password hashing, tokens, throttling and the auth cache.
    pub identity: Arc<Identity>,
    /// The documents area: command services, the read model's query port, the filesystem blob
    /// store's routes (`crate::documents`).
    pub documents: crate::documents::Documents,
    /// The topics read model (`infra::readmodels::topics` over PostgreSQL).
    pub topics: Arc<dyn projections::topics::TopicsQuery>,
    /// Each document's processing row (`infra::readmodels::processing` over PostgreSQL).
    pub processing: Arc<dyn projections::processing::ProcessingQuery>,
    /// Full-text search (`GET /api/search`, the document listing's `q`), on the page-read pool.
    pub search: Arc<dyn projections::search::SearchReader>,
    /// Every document an account owns, for erasure (`infra::readmodels::erasure` over PostgreSQL).
    pub owned_documents: Arc<dyn commands::erasure::OwnedDocuments>,
    /// The audit index (`infra::readmodels::audit` over PostgreSQL); the entries themselves are
    /// read from `store`.
    pub audit: Arc<dyn projections::audit::query::AuditReads>,
    /// The identity read model (`infra::readmodels::users` over PostgreSQL).
    pub users: Arc<dyn projections::users::query::UserReads>,
    /// The projections' status, rebuilds and resumes, and the read-model database's liveness.
    pub projections: projections::Operations,
    /// Connecting and disconnecting cloud storage backends; `None` without a credentials key.
    pub storage: Option<commands::storage::StorageDeps>,
    /// The storage backends read model (`infra::readmodels::storage` over PostgreSQL).
    pub storage_reads: Arc<dyn projections::storage::StorageReads>,
}

impl FromRef<AppState> for FsBlobs {
    fn from_ref(s: &AppState) -> Self {
        s.documents.fs.clone()
    }
}

/// The command context of a request by `user`: who, from where, in which request.
pub fn command_context(
    state: &AppState,
    user: UserId,
    role: commands::Role,
    headers: &HeaderMap,
) -> CommandContext {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut ctx =
        CommandContext::system(state.store.clone(), state.clock.clone()).with_actor(Actor::User {
            id: user.as_uuid(),
            role,
        });
    ctx.request_id = header("x-request-id");
    ctx.user_agent = header("user-agent");
    ctx
}
