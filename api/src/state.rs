//! `AppState`: everything a handler may need, built once at startup and cloned per request.

use std::sync::Arc;

use axum::extract::FromRef;
use domain::ports::{Clock, DataKeys, EventStore};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::auth::Identity;
use crate::config::Config;
use crate::consistency::PositionWaiter;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    /// For page reads (`documents::read`) and searches only (`run::connect_pages`).
    pub pages: PgPool,
    pub store: Arc<dyn EventStore>,
    pub keys: Arc<dyn DataKeys>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Option<PrometheusHandle>,
    /// Present when projections run (in this process or another): backs `X-Consistency-Token`.
    pub waiter: Option<Arc<dyn PositionWaiter>>,
    /// Password hashing, tokens, throttling and the auth cache.
    pub identity: Arc<Identity>,
    /// The documents area: blob store, read-model facts, settings (`crate::documents`).
    pub documents: crate::documents::Documents,
    /// The topics read model (`infra::readmodels::topics` over PostgreSQL).
    pub topics: Arc<dyn projections::topics::TopicsQuery>,
    /// Each document's processing row (`infra::readmodels::processing` over PostgreSQL).
    pub processing: Arc<dyn projections::processing::ProcessingQuery>,
    /// Full-text search (`GET /api/search`, the document listing's `q`), on the page-read pool.
    pub search: Arc<dyn projections::search::SearchReader>,
}

impl FromRef<AppState> for PgPool {
    fn from_ref(s: &AppState) -> Self {
        s.pool.clone()
    }
}
