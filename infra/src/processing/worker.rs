//! The processing worker: claims jobs, extracts text, classifies, and records each step as
//! processing events. Steps already in the log are skipped, so a crashed attempt's retry never
//! appends an event twice.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use commands::{CommandContext, CommandError};
use domain::classifier::{Classifier, ClassifyRequest, TopicCandidate};
use domain::extraction::{ExtractError, ExtractRequest, TextExtractor, TextMethod};
use domain::ids::{DocumentId, UserId};
use domain::processing::{
    ClassificationRecord, DocumentProcessing, ExtractionKind, ProcessingCommand, ProcessingError,
    ProcessingStatus, SuggestedTopic,
};

use super::queue::{ClaimedJob, JobOutcome, JobQueue};

/// What the worker needs to know about a document (from the documents read model).
#[derive(Debug, Clone)]
pub struct DocumentFacts {
    pub owner: UserId,
    pub filename: String,
    pub content_type: Option<String>,
    pub size_bytes: u64,
}

/// The documents side, as the worker sees it: facts, bytes, and a place for the derived text.
///
/// Contract: every method answers for the given owner's document only; `Ok(None)` from `facts`
/// means the document is gone (purged, or never confirmed) and the job is dropped.
#[async_trait]
pub trait DocumentSource: Send + Sync {
    async fn facts(&self, document: DocumentId) -> Result<Option<DocumentFacts>, String>;
    /// The document's bytes (the caller has checked the size against its limit).
    async fn bytes(&self, owner: UserId, document: DocumentId) -> Result<Bytes, String>;
    /// Stores the extracted text as a derived object; returns its key.
    async fn put_text(
        &self,
        owner: UserId,
        document: DocumentId,
        text: &str,
    ) -> Result<String, String>;
    /// Reads a derived text object back (for a reclassification).
    async fn text(&self, key: &str) -> Result<String, String>;
    /// The topics the owner may be classified into (their own and the visible system topics).
    async fn topics(&self, owner: UserId) -> Result<Vec<TopicCandidate>, String>;
}

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// A stable name per process, recorded as the lease holder.
    pub name: String,
    /// Suggestions at or above this confidence are assigned automatically.
    pub threshold: f32,
    /// Documents larger than this are not fetched for extraction.
    pub max_input_bytes: u64,
    /// Jobs claimed per round.
    pub batch: u32,
    /// Sleep between rounds when there was nothing to do.
    pub idle: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            name: format!("worker-{}", uuid::Uuid::new_v4()),
            threshold: 0.5,
            max_input_bytes: 64 * 1024 * 1024,
            batch: 4,
            idle: Duration::from_secs(1),
        }
    }
}

pub struct Worker {
    pub ctx: CommandContext,
    pub queue: JobQueue,
    pub source: Arc<dyn DocumentSource>,
    pub extractor: Arc<dyn TextExtractor>,
    pub classifier: Arc<dyn Classifier>,
    pub config: WorkerConfig,
}

/// A failure of one attempt: `permanent` ones are recorded as the run's end.
struct Failure {
    code: String,
    permanent: bool,
}

impl Failure {
    fn transient(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            permanent: false,
        }
    }
}

impl<E: std::fmt::Debug> From<CommandError<E>> for Failure {
    fn from(e: CommandError<E>) -> Self {
        tracing::warn!(error = ?e, "processing command failed");
        Failure::transient("event_store")
    }
}

impl Worker {
    /// Claims and processes jobs until `shutdown` resolves.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let worked = match self.round().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming processing jobs failed");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(self.config.idle) => {}
                }
            }
        }
    }

    /// One round: claim a batch and process it. Returns how many jobs were handled.
    pub async fn round(&self) -> Result<usize, sqlx::Error> {
        let jobs = self
            .queue
            .claim(&self.config.name, self.config.batch)
            .await?;
        for job in &jobs {
            let outcome = self.process(job).await;
            if !self.queue.finish(job, &self.config.name, &outcome).await? {
                tracing::warn!(document_id = %job.document_id, "lease lost; another worker took over");
            }
        }
        Ok(jobs.len())
    }

    /// Processes one claimed job and says how it ended.
    #[tracing::instrument(skip_all, fields(document_id = %job.document_id, run = job.run))]
    pub async fn process(&self, job: &ClaimedJob) -> JobOutcome {
        match self.steps(job).await {
            Ok(()) => JobOutcome::Done,
            Err(f) => {
                let max = self.queue.config().max_attempts;
                let permanent = f.permanent || job.attempt >= max;
                let record = ProcessingCommand::RecordFailure {
                    run: job.run,
                    code: f.code.clone(),
                    permanent: f.permanent,
                    max_attempts: max,
                };
                if let Err(e) = self.command(job, record).await {
                    tracing::warn!(error = ?e, "recording a processing failure failed");
                }
                if permanent {
                    JobOutcome::Failed { code: f.code }
                } else {
                    JobOutcome::Retry { code: f.code }
                }
            }
        }
    }

    async fn command(
        &self,
        job: &ClaimedJob,
        command: ProcessingCommand,
    ) -> Result<DocumentProcessing, CommandError<ProcessingError>> {
        commands::processing::handle(&self.ctx, job.document_id, job.owner_id, command)
            .await
            .map(|e| e.state)
    }

    async fn steps(&self, job: &ClaimedJob) -> Result<(), Failure> {
        let state = commands::load::<DocumentProcessing>(&self.ctx, job.document_id.as_uuid())
            .await
            .map_err(|_| Failure::transient("event_store"))?
            .state;
        if state.current_run() != job.run || state.status != ProcessingStatus::Pending {
            return Ok(()); // a stale job, or the run already ended
        }
        let Some(facts) = self
            .source
            .facts(job.document_id)
            .await
            .map_err(|_| Failure::transient("documents"))?
        else {
            return Ok(()); // the document is gone
        };
        let text = match &state.text {
            Some(record) => match &record.text_object {
                Some(key) => self
                    .source
                    .text(key)
                    .await
                    .map_err(|_| Failure::transient("blob_store"))?,
                None => String::new(),
            },
            None => self.extract(job, &facts).await?,
        };
        let topics = self
            .source
            .topics(facts.owner)
            .await
            .map_err(|_| Failure::transient("topics"))?;
        let answer = self
            .classifier
            .classify(&ClassifyRequest {
                owner: facts.owner,
                document_id: job.document_id,
                filename: facts.filename.clone(),
                text,
                topics,
            })
            .await
            .map_err(|_| Failure::transient("classifier"))?;
        let suggestions: Vec<SuggestedTopic> = answer
            .scores
            .iter()
            .filter(|s| s.confidence >= self.config.threshold)
            .map(|s| SuggestedTopic {
                topic_id: s.topic_id,
                confidence: s.confidence,
            })
            .collect();
        let mut terms: Vec<String> = Vec::new();
        for s in answer
            .scores
            .iter()
            .filter(|s| s.confidence >= self.config.threshold)
        {
            for t in &s.terms {
                if !terms.contains(t) && terms.len() < 10 {
                    terms.push(t.clone());
                }
            }
        }
        self.command(
            job,
            ProcessingCommand::RecordClassification {
                run: job.run,
                classification: ClassificationRecord {
                    provider: answer.provider,
                    model: answer.model,
                    fell_back: answer.fell_back,
                    suggestions,
                    terms,
                },
            },
        )
        .await?;
        Ok(())
    }

    /// Extracts, stores the text, records `TextExtracted`; returns the text for classification.
    async fn extract(&self, job: &ClaimedJob, facts: &DocumentFacts) -> Result<String, Failure> {
        if facts.size_bytes > self.config.max_input_bytes {
            return Err(Failure {
                code: "too_large".into(),
                permanent: true,
            });
        }
        let bytes = self
            .source
            .bytes(facts.owner, job.document_id)
            .await
            .map_err(|_| Failure::transient("blob_store"))?;
        let result = self
            .extractor
            .extract(ExtractRequest {
                bytes,
                content_type: facts.content_type.clone(),
                filename: Some(facts.filename.clone()),
            })
            .await;
        let (kind, text, truncated) = match result {
            Ok(t) if !t.text.chars().any(char::is_alphanumeric) => {
                (ExtractionKind::Empty, String::new(), false)
            }
            Ok(t) => {
                let kind = match t.method {
                    TextMethod::Native => ExtractionKind::Native,
                    TextMethod::Ocr => ExtractionKind::Ocr,
                };
                (kind, t.text, t.truncated)
            }
            // The document stays findable by name; these are outcomes, not failures.
            Err(ExtractError::OcrUnavailable) => {
                (ExtractionKind::OcrUnavailable, String::new(), false)
            }
            Err(ExtractError::Unsupported(_)) => {
                (ExtractionKind::Unsupported, String::new(), false)
            }
            Err(e) => {
                tracing::info!(code = e.code(), error = %e, "extraction failed");
                return Err(Failure {
                    code: e.code().to_owned(),
                    permanent: !e.is_transient(),
                });
            }
        };
        let text_object = if text.is_empty() {
            None
        } else {
            Some(
                self.source
                    .put_text(facts.owner, job.document_id, &text)
                    .await
                    .map_err(|_| Failure::transient("blob_store"))?,
            )
        };
        self.command(
            job,
            ProcessingCommand::RecordExtraction {
                run: job.run,
                kind,
                text_object,
                chars: text.chars().count() as u64,
                truncated,
            },
        )
        .await?;
        Ok(text)
    }
}
