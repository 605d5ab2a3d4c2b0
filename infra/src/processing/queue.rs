//! The processing job queue on PostgreSQL: idempotent enqueue, competing claims with
//! `FOR UPDATE SKIP LOCKED` plus a lease, bounded retries with exponential backoff.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::ids::{DocumentId, UserId};
use sqlx::{PgConnection, PgPool};

/// Retry and lease policy.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Claims per job before it is failed for good.
    pub max_attempts: u32,
    /// Backoff after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claim is exclusive. Must exceed the longest extraction plus classification;
    /// when it runs out (the worker crashed) another worker may take the job.
    pub lease: Duration,
}

impl QueueConfig {
    /// The delay before attempt `attempt + 1`: base · 2^(attempt-1), capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1)).min(1 << 20);
        (self.base_backoff * factor).min(self.max_backoff)
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(600),
            lease: Duration::from_secs(300),
        }
    }
}

/// A job as claimed by one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub document_id: DocumentId,
    pub run: u32,
    pub owner_id: UserId,
    /// 1 on the first claim.
    pub attempt: u32,
}

/// How a worker's attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The run's events are in the log.
    Done,
    /// Try again later (after a backoff), unless attempts are exhausted.
    Retry { code: String },
    /// Never try again (the failure is recorded in the log).
    Failed { code: String },
}

/// A job's state as the status API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Processing,
    Done,
    Failed,
}

impl JobStatus {
    fn parse(s: &str) -> Self {
        match s {
            "processing" => JobStatus::Processing,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Pending,
        }
    }
}

#[derive(Debug, Clone)]
pub struct JobQueue {
    pool: PgPool,
    config: QueueConfig,
}

struct Row {
    document_id: uuid::Uuid,
    run: i32,
    owner_id: uuid::Uuid,
    attempts: i32,
}

impl JobQueue {
    pub fn new(pool: PgPool, config: QueueConfig) -> Self {
        Self { pool, config }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// The same queue under another retry and lease policy.
    pub fn with_config(self, config: QueueConfig) -> Self {
        Self { config, ..self }
    }

    /// Adds a job inside the caller's transaction (the reactor's, beside its checkpoint).
    /// Enqueuing the same (document, run) again is a no-op. The SQL is the reactor's
    /// ([`projections::processing::enqueue`]), which owns the job rows it writes.
    pub async fn enqueue(
        conn: &mut PgConnection,
        document_id: DocumentId,
        run: u32,
        owner_id: UserId,
    ) -> Result<(), sqlx::Error> {
        projections::processing::enqueue(conn, document_id, run, owner_id).await
    }

    /// Claims up to `limit` jobs for `worker`: pending ones whose backoff is over, and leased
    /// ones whose lease expired (their worker died). Rows another worker is claiming right now
    /// are skipped, never waited for.
    pub async fn claim(&self, worker: &str, limit: u32) -> Result<Vec<ClaimedJob>, sqlx::Error> {
        let rows = sqlx::query_as!(
            Row,
            "with next as ( \
                 select document_id, run from processing_jobs \
                 where (status = 'pending' and available_at <= now()) \
                    or (status = 'processing' and locked_until < now()) \
                 order by available_at \
                 limit $1 \
                 for update skip locked \
             ) \
             update processing_jobs j \
             set status = 'processing', attempts = j.attempts + 1, locked_by = $2, \
                 locked_until = now() + make_interval(secs => $3), updated_at = now() \
             from next where j.document_id = next.document_id and j.run = next.run \
             returning j.document_id, j.run, j.owner_id, j.attempts",
            limit as i64,
            worker,
            self.config.lease.as_secs_f64()
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ClaimedJob {
                document_id: r.document_id.into(),
                run: r.run as u32,
                owner_id: r.owner_id.into(),
                attempt: r.attempts as u32,
            })
            .collect())
    }

    /// Records how an attempt ended. Only the worker holding the lease can finish a job: a
    /// worker whose lease expired and was taken over gets `false` and must drop its result.
    pub async fn finish(
        &self,
        job: &ClaimedJob,
        worker: &str,
        outcome: &JobOutcome,
    ) -> Result<bool, sqlx::Error> {
        let (status, error, delay) = match outcome {
            JobOutcome::Done => ("done", None, Duration::ZERO),
            JobOutcome::Retry { code } if job.attempt < self.config.max_attempts => (
                "pending",
                Some(code.as_str()),
                self.config.backoff(job.attempt),
            ),
            JobOutcome::Retry { code } | JobOutcome::Failed { code } => {
                ("failed", Some(code.as_str()), Duration::ZERO)
            }
        };
        let updated = sqlx::query!(
            "update processing_jobs set status = $1, last_error = $2, \
                 available_at = now() + make_interval(secs => $3), \
                 locked_by = null, locked_until = null, updated_at = now() \
             where document_id = $4 and run = $5 and locked_by = $6 and status = 'processing'",
            status,
            error,
            delay.as_secs_f64(),
            job.document_id.as_uuid(),
            job.run as i32,
            worker
        )
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Open jobs as `(pending, processing)`, across every worker (what `/metrics` exports).
    pub async fn depth(&self) -> Result<(u64, u64), sqlx::Error> {
        let depth = sqlx::query!(
            "select count(*) filter (where status = 'pending') as \"pending!\", \
                    count(*) filter (where status = 'processing') as \"processing!\" \
             from processing_jobs where status in ('pending', 'processing')"
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((depth.pending as u64, depth.processing as u64))
    }

    /// The latest run's status for a document; `None` when it was never enqueued.
    pub async fn status(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<(JobStatus, u32, DateTime<Utc>)>, sqlx::Error> {
        let row = sqlx::query!(
            "select status, attempts, updated_at from processing_jobs \
             where document_id = $1 order by run desc limit 1",
            document_id.as_uuid()
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (JobStatus::parse(&r.status), r.attempts as u32, r.updated_at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let q = QueueConfig {
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            ..QueueConfig::default()
        };
        let delays: Vec<u64> = (1..=7).map(|a| q.backoff(a).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60]);
    }
}
