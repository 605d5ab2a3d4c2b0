//! Group commit for one-event appends: concurrent appends to *different* streams share one
//! statement and one commit.
//!
//! Why: one statement and one commit per event cost the server more than the insert itself (the
//! bench measures single appends at 32 writers against pgbench), while a statement carrying many
//! events costs little more than one carrying a single event. So one-event appends go to a few
//! worker tasks; a worker takes whatever requests are waiting (one per stream, up to a limit)
//! and appends them together. When nothing else is waiting a request goes alone, at once: group
//! commit adds no latency when idle, and batches grow only with load.
//!
//! Each request keeps its own expected-version check (a stream whose head does not match gets no
//! row, and the others still commit). If the combined statement fails as a whole (a concurrent
//! append won a version, an event id already exists, a bad value, a lost connection), every
//! request is handed back and its caller runs the ordinary one-event path, with its own retries
//! and idempotency check; that is safe because an append that did commit is recognised by its
//! event ids.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, OnceLock};

use domain::event::ExpectedVersion;
use domain::ports::{AppendOutcome, StoreError};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::append::{self, head_sql, Attempt, Prepared};

/// One event per request, each for its own stream: `$1` streams, `$2` expected versions (null for
/// `Any`), then the event columns as in the one-event statement. Every request reads its own
/// stream's head (distinct streams, so no request can see another's insert).
const APPEND_MANY_SQL: &str = concat!(
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
    head_sql!("e.stream_id"),
    r#" as h
where e.expected is null or h.version = e.expected
order by e.n
returning stream_id, stream_version, global_position
"#
);

struct Request {
    prepared: Prepared,
    expected: ExpectedVersion,
    reply: oneshot::Sender<Reply>,
}

pub(super) enum Reply {
    Appended(AppendOutcome),
    /// Not appended in a group: the caller appends it on its own (and learns why).
    Alone(Prepared),
}

pub(super) struct Combiner {
    queue: mpsc::UnboundedSender<Request>,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<Request>>>,
    started: OnceLock<()>,
    workers: usize,
    max_batch: usize,
}

impl Combiner {
    pub(super) fn new(workers: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        Self {
            queue,
            receiver: Arc::new(Mutex::new(receiver)),
            started: OnceLock::new(),
            workers: workers.max(1),
            max_batch: max_batch.max(1),
        }
    }

    /// Appends a one-event batch in a group, or hands it back to be appended alone.
    pub(super) async fn submit(
        &self,
        pool: &PgPool,
        prepared: Prepared,
        expected: ExpectedVersion,
    ) -> Result<Reply, StoreError> {
        self.started.get_or_init(|| {
            for _ in 0..self.workers {
                tokio::spawn(worker(pool.clone(), self.receiver.clone(), self.max_batch));
            }
        });
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request {
                prepared,
                expected,
                reply,
            })
            .map_err(|_| StoreError::Backend("the append workers have stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("an append worker stopped".into()))
    }
}

/// Ends when the store (the queue's sender) is dropped.
async fn worker(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<Request>>>,
    max_batch: usize,
) {
    // Requests for a stream already in the batch wait for this worker's next one.
    let mut deferred: VecDeque<Request> = VecDeque::new();
    loop {
        let mut batch = Vec::new();
        let mut streams = HashSet::new();
        for r in std::mem::take(&mut deferred) {
            if batch.len() < max_batch && streams.insert(r.prepared.stream.clone()) {
                batch.push(r);
            } else {
                deferred.push_back(r);
            }
        }
        {
            let mut rx = receiver.lock().await;
            if batch.is_empty() {
                let Some(first) = rx.recv().await else { return };
                streams.insert(first.prepared.stream.clone());
                batch.push(first);
            }
            while batch.len() < max_batch {
                let Ok(r) = rx.try_recv() else { break };
                if streams.insert(r.prepared.stream.clone()) {
                    batch.push(r);
                } else {
                    deferred.push_back(r);
                }
            }
        }
        run(&pool, batch).await;
    }
}

async fn run(pool: &PgPool, mut batch: Vec<Request>) {
    if batch.len() == 1 {
        let r = batch.pop().expect("one request");
        let reply = match append::attempt(pool, r.expected, &r.prepared).await {
            Ok(Attempt::Appended(outcome)) => Reply::Appended(outcome),
            _ => Reply::Alone(r.prepared),
        };
        let _ = r.reply.send(reply);
        return;
    }
    let columns = Columns::take(&mut batch);
    let result: Result<Vec<(String, i64, i64)>, sqlx::Error> = sqlx::query_as(APPEND_MANY_SQL)
        .bind(&columns.streams)
        .bind(&columns.expected)
        .bind(&columns.ids)
        .bind(&columns.types)
        .bind(&columns.schema_versions)
        .bind(&columns.recorded_at)
        .bind(&columns.data)
        .bind(&columns.metadata)
        .bind(&columns.tails)
        .fetch_all(pool)
        .await;
    let appended: HashMap<String, (i64, i64)> = match result {
        Ok(rows) => rows.into_iter().map(|(s, v, p)| (s, (v, p))).collect(),
        Err(e) => {
            tracing::debug!(error = %e, n = batch.len(), "grouped append failed; appending alone");
            HashMap::new()
        }
    };
    columns.give_back(&mut batch);
    for r in batch {
        let reply = match appended.get(r.prepared.stream.as_str()) {
            Some(&(version, position)) => Reply::Appended(AppendOutcome {
                stream_version: version as u64,
                first_position: position as u64,
                last_position: position as u64,
            }),
            None => Reply::Alone(r.prepared),
        };
        let _ = r.reply.send(reply);
    }
}

/// The batch as statement parameters, moved out of the requests (no payload copies) and moved
/// back afterwards, since a request that is not appended here is appended alone.
struct Columns {
    streams: Vec<String>,
    expected: Vec<Option<i64>>,
    ids: Vec<uuid::Uuid>,
    types: Vec<String>,
    schema_versions: Vec<i32>,
    recorded_at: Vec<chrono::DateTime<chrono::Utc>>,
    data: Vec<serde_json::Value>,
    metadata: Vec<serde_json::Value>,
    tails: Vec<Vec<u8>>,
}

impl Columns {
    fn take(batch: &mut [Request]) -> Self {
        let n = batch.len();
        let mut c = Columns {
            streams: Vec::with_capacity(n),
            expected: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            recorded_at: Vec::with_capacity(n),
            data: Vec::with_capacity(n),
            metadata: Vec::with_capacity(n),
            tails: Vec::with_capacity(n),
        };
        for r in batch {
            let p = &mut r.prepared;
            c.streams.push(p.stream.as_str().to_owned());
            c.expected.push(append::expected_param(r.expected));
            c.ids.push(p.ids[0]);
            c.types.push(std::mem::take(&mut p.types[0]));
            c.schema_versions.push(p.schema_versions[0]);
            c.recorded_at.push(p.recorded_at[0]);
            c.data.push(p.data[0].take());
            c.metadata.push(p.metadata[0].take());
            c.tails.push(std::mem::take(&mut p.tails[0]));
        }
        c
    }

    fn give_back(self, batch: &mut [Request]) {
        let parts = self
            .types
            .into_iter()
            .zip(self.data)
            .zip(self.metadata)
            .zip(self.tails);
        for (r, (((t, d), m), tail)) in batch.iter_mut().zip(parts) {
            let p = &mut r.prepared;
            p.types[0] = t;
            p.data[0] = d;
            p.metadata[0] = m;
            p.tails[0] = tail;
        }
    }
}
