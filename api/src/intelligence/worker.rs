//! Starting the processing worker: the production document source (event store + blob store),
//! the extractor (Tesseract detected at start), the built-in classifier on the users' own
//! assignments, and the PostgreSQL job queue shared with every other worker process.

use std::future::Future;
use std::sync::Arc;

use commands::CommandContext;
use domain::blob::BlobStore;
use domain::classifier::Classifier;
use infra::classify::BuiltinClassifier;
use infra::extract::{ExtractLimits, Extractor};
use infra::processing::{
    JobQueue, PgModelStore, QueueConfig, StoreDocumentSource, Worker, WorkerConfig,
};
use sqlx::PgPool;

use super::classifier::ConfiguredClassifier;

/// The pieces a worker is built from.
pub struct WorkerParts {
    pub ctx: CommandContext,
    pub pool: PgPool,
    pub blobs: Arc<dyn BlobStore>,
    pub queue: QueueConfig,
    pub config: WorkerConfig,
}

impl WorkerParts {
    /// Production defaults.
    pub fn new(ctx: CommandContext, pool: PgPool, blobs: Arc<dyn BlobStore>) -> Self {
        Self {
            ctx,
            pool,
            blobs,
            queue: QueueConfig::default(),
            config: WorkerConfig::default(),
        }
    }
}

/// The built-in classifier over each user's own hand-set documents.
pub fn builtin_classifier(pool: PgPool) -> Arc<dyn Classifier> {
    Arc::new(BuiltinClassifier::new(Arc::new(PgModelStore::new(pool))))
}

/// Builds the worker (detecting Tesseract once).
pub async fn build(parts: WorkerParts) -> Worker {
    let extractor = Extractor::new(ExtractLimits::default()).await;
    if !extractor.ocr().is_available() {
        tracing::info!("tesseract not found: images and scanned PDFs are searchable by name only");
    }
    let source = StoreDocumentSource::new(parts.ctx.clone(), parts.pool.clone(), parts.blobs);
    Worker {
        ctx: parts.ctx.clone(),
        queue: JobQueue::new(parts.pool.clone(), parts.queue),
        source: Arc::new(source),
        extractor: Arc::new(extractor),
        classifier: Arc::new(ConfiguredClassifier::new(
            parts.ctx,
            builtin_classifier(parts.pool),
        )),
        config: parts.config,
    }
}

/// Runs a worker until `shutdown` resolves.
pub fn spawn(
    parts: WorkerParts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let worker = build(parts).await;
        tracing::info!(name = %worker.config.name, "processing worker started");
        worker.run(shutdown).await;
    })
}
