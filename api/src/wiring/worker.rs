//! Starting the processing worker from its adapters (built by `crate::wiring::worker_parts`):
//! the document source, the job queue shared with every other worker process, the built-in
//! classifier under the configured one, and the extractor (Tesseract detected at start).

use std::future::Future;
use std::sync::Arc;

use commands::CommandContext;
use domain::classifier::Classifier;
use infra::extract::{ExtractLimits, Extractor};
use infra::processing::{DocumentSource, JobQueue, QueueConfig, Worker, WorkerConfig};

use super::classifier::ConfiguredClassifier;

/// The pieces a worker is built from.
pub struct WorkerParts {
    pub ctx: CommandContext,
    /// The job queue; it runs under the `queue` policy below.
    pub jobs: JobQueue,
    /// Documents' facts, bytes and topics, and their derived text objects.
    pub source: Arc<dyn DocumentSource>,
    /// The built-in classifier (over each user's own hand-set documents), the fallback of the
    /// configured one.
    pub builtin: Arc<dyn Classifier>,
    pub queue: QueueConfig,
    pub config: WorkerConfig,
}

impl WorkerParts {
    /// Production defaults for the queue's policy and the worker's.
    pub fn new(
        ctx: CommandContext,
        jobs: JobQueue,
        source: Arc<dyn DocumentSource>,
        builtin: Arc<dyn Classifier>,
    ) -> Self {
        Self {
            ctx,
            jobs,
            source,
            builtin,
            queue: QueueConfig::default(),
            config: WorkerConfig::default(),
        }
    }
}

/// Builds the worker (detecting Tesseract once).
pub async fn build(parts: WorkerParts) -> Worker {
    let extractor = Extractor::new(ExtractLimits::default()).await;
    if !extractor.ocr().is_available() {
        tracing::info!("tesseract not found: images and scanned PDFs are searchable by name only");
    }
    Worker {
        ctx: parts.ctx.clone(),
        queue: parts.jobs.with_config(parts.queue),
        source: parts.source,
        extractor: Arc::new(extractor),
        classifier: Arc::new(ConfiguredClassifier::new(parts.ctx, parts.builtin)),
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
