//! Group commit for one-event appends: concurrent appends to *different* streams share one
//! statement and one commit, led by one of the callers (no background tasks).
//!
//! Why: one statement and one commit per event cost the server more than the insert itself (the
//! bench measures single appends at 32 writers against pgbench), while a statement carrying many
//! events costs little more than one carrying a single event.
//!
//! How: every one-event append is queued, then its caller waits for either its answer or one of
//! a few leader permits. A caller holding a permit is the leader for one round: it takes whatever
//! is queued (at most one request per stream, up to a limit), appends it with one statement, and
//! answers each request through its own channel; then it releases the permit and goes back to
//! waiting for its own answer if that was not in its round. When nothing else is queued a request
//! is its own round, at once: group commit adds no latency when idle, and rounds grow with load.
//! There is no task to start or stop, so a store may be shared by any number of runtimes (every
//! `#[tokio::test]` has its own) and outlives all of them.
//!
//! Each request keeps its own guarantees: the statement checks each row's expected version
//! against its own stream's head and skips rows that hit a unique key (`on conflict do nothing`:
//! a version taken by a concurrent append, an event id already stored). A request that got no row
//! (or whose round failed, or whose leader was cancelled) is answered "not appended", and its
//! caller runs the ordinary one-event path with its own retries, conflict report and idempotency
//! check; that is safe because an append that did commit is recognised there by its event ids.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use domain::event::ExpectedVersion;
use domain::ports::AppendOutcome;
use sqlx::PgPool;
use tokio::sync::{oneshot, Semaphore};

use super::append::{self, with_head, Attempt, Prepared};

/// `Some` when appended in a round; `None` when the caller must append on its own.
type Answer = Option<AppendOutcome>;

struct Request {
    prepared: Arc<Prepared>,
    expected: ExpectedVersion,
    reply: oneshot::Sender<Answer>,
}

pub(super) struct Combiner {
    queue: Mutex<VecDeque<Request>>,
    /// How many rounds may run at once (each on its own connection).
    leaders: Semaphore,
    max_batch: usize,
}

impl Combiner {
    pub(super) fn new(leaders: usize, max_batch: usize) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            leaders: Semaphore::new(leaders.max(1)),
            max_batch: max_batch.max(1),
        }
    }

    /// Appends a one-event batch together with whatever else is queued. `None`: not appended
    /// here (a version or id conflict, a failed round): append it on its own, which also finds
    /// out why.
    pub(super) async fn append(
        &self,
        pool: &PgPool,
        prepared: &Arc<Prepared>,
        expected: ExpectedVersion,
    ) -> Answer {
        debug_assert_eq!(prepared.len(), 1);
        let (reply, mut answer) = oneshot::channel();
        self.lock().push_back(Request {
            prepared: prepared.clone(),
            expected,
            reply,
        });
        loop {
            let permit = tokio::select! {
                biased;
                // A closed channel: the leader holding our request was cancelled mid-round.
                a = &mut answer => return a.ok().flatten(),
                p = self.leaders.acquire() => p.expect("the semaphore is never closed"),
            };
            // Answered while we waited for the permit.
            match answer.try_recv() {
                Ok(a) => return a,
                Err(oneshot::error::TryRecvError::Closed) => return None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch = self.take();
            if batch.is_empty() {
                // Our request is in a round another leader is running.
                drop(permit);
                return answer.await.ok().flatten();
            }
            run(pool, batch).await;
        }
    }

    /// Requests waiting for a round (not counting those in a round now).
    pub(super) fn queued(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Request>> {
        // A panic while holding the lock cannot leave the queue inconsistent (push and drain
        // only), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next round: queued requests in order, at most one per stream (a later request for a
    /// stream already in the round stays queued, in order, for the next one) and at most
    /// `max_batch`. Requests whose caller has gone are dropped unwritten.
    fn take(&self) -> Vec<Request> {
        let mut queue = self.lock();
        let mut batch: Vec<Request> = Vec::new();
        let mut kept = VecDeque::new();
        while let Some(r) = queue.pop_front() {
            if r.reply.is_closed() {
                continue;
            }
            if batch.len() == self.max_batch {
                kept.push_back(r);
                break;
            }
            // Linear: a round is small, and comparing a few dozen ids beats hashing them.
            if batch.iter().any(|b| b.prepared.stream == r.prepared.stream) {
                kept.push_back(r);
            } else {
                batch.push(r);
            }
        }
        kept.append(&mut queue);
        *queue = kept;
        batch
    }
}

/// Appends one round and answers every request in it.
async fn run(pool: &PgPool, batch: Vec<Request>) {
    if let [one] = batch.as_slice() {
        // Alone: the scalar one-event statement is cheaper than the array one.
        let answer = match append::attempt(pool, one.expected, &one.prepared).await {
            Ok(Attempt::Appended(outcome)) => Some(outcome),
            _ => None,
        };
        for r in batch {
            let _ = r.reply.send(answer);
        }
        return;
    }
    // One event per request, each for its own stream: `$1` streams, `$2` expected versions (null for
    // `Any`), then the event columns as in the one-event statement. Every row reads its own stream's
    // head (distinct streams, so no row depends on another's insert). A row whose expected version
    // does not match, or that collides with a stored or concurrently inserted event, is left out of
    // the result and nothing else is affected.
    // Some columns pass with an explicit type: the macro's check takes text[] as `&[String]`,
    // bytea[] as `&[Vec<u8>]` and int8[] as `&[i64]` only, but borrowed elements and nulls bind
    // as the same arrays (sqlx#280).
    let result = with_head!(query!(
        r#"
insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                    recorded_at, data, metadata, hash)
select e.event_id, e.stream_id, h.version + 1, e.event_type, e.schema_version,
       e.recorded_at, e.data, e.metadata,
       sha256(h.hash || convert_to('[' || (h.version + 1)::text, 'UTF8') || e.tail)
from unnest($1::text[], $2::int8[], $3::uuid[], $4::text[], $5::int4[], $6::timestamptz[],
            $7::jsonb[], $8::jsonb[], $9::bytea[])
         with ordinality as e(stream_id, expected, event_id, event_type, schema_version,
                              recorded_at, data, metadata, tail, n)
cross join lateral "#,
        "e.stream_id",
        r#" as h
where e.expected is null or h.version = e.expected
order by e.n
on conflict do nothing
returning stream_id, stream_version, global_position
"#,
        &column(&batch, |p| p.stream.as_str()) as &[&str],
        &batch
            .iter()
            .map(|r| append::expected_param(r.expected))
            .collect::<Vec<_>>() as &[Option<i64>],
        &column(&batch, |p| p.ids[0]),
        &column(&batch, |p| p.types[0].as_str()) as &[&str],
        &column(&batch, |p| p.schema_versions[0]),
        &column(&batch, |p| p.recorded_at[0]),
        &column(&batch, |p| &p.data[0]) as &[&serde_json::Value],
        &column(&batch, |p| &p.metadata[0]) as &[&serde_json::Value],
        &column(&batch, |p| p.tails[0].as_slice()) as &[&[u8]]
    ))
    .fetch_all(pool)
    .await;
    let appended: HashMap<String, (i64, i64)> = match result {
        Ok(rows) => rows
            .into_iter()
            .map(|r| (r.stream_id, (r.stream_version, r.global_position)))
            .collect(),
        Err(e) => {
            // Each caller appends on its own and meets the error (or not) itself.
            tracing::debug!(error = %e, n = batch.len(), "grouped append failed");
            HashMap::new()
        }
    };
    for r in batch {
        let answer = appended
            .get(r.prepared.stream.as_str())
            .map(|&(version, position)| AppendOutcome {
                stream_version: version as u64,
                first_position: position as u64,
                last_position: position as u64,
            });
        let _ = r.reply.send(answer);
    }
}

/// One statement parameter: a field of every request's single event, borrowed, not copied.
fn column<'a, T>(batch: &'a [Request], field: impl Fn(&'a Prepared) -> T) -> Vec<T> {
    batch.iter().map(|r| field(&r.prepared)).collect()
}
