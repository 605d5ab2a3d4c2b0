//! The KurrentDB/EventStoreDB event store: the `EventStore` port on a KurrentDB cluster, through
//! the `eventstore` gRPC client.
//!
//! # How our contract maps onto KurrentDB
//!
//! **Streams and versions.** A DocuVault stream is the KurrentDB stream of the same name; our
//! 1-based `stream_version` is KurrentDB's 0-based revision + 1.
//!
//! **Envelope.** The KurrentDB event id *is* our `event_id`; its type is our `event_type`; its
//! data is our `data` (JSON, personal data sealed); its custom metadata is a JSON object with
//! `schema_version`, `recorded_at` (RFC 3339, microseconds), `data_key`, our `metadata` (sealed),
//! the chain `hash` (hex), and KurrentDB's conventional `$correlationId`/`$causationId`.
//!
//! **Append.** An append reads the stream, then appends with KurrentDB's expected revision set to
//! the head it read (`NoStream` for an empty stream, `Exact(head - 1)` otherwise), so the batch
//! (atomic in KurrentDB) lands only if nobody wrote in between:
//! - `ExpectedVersion::NoStream` / `Exact(n)` are checked against that head first; a mismatch,
//!   or KurrentDB's wrong-expected-version answer after a concurrent write, is
//!   `StoreError::Conflict { actual }` with our version numbering.
//! - `ExpectedVersion::Any` is *not* sent as KurrentDB's `Any`: the hash chain needs the head
//!   the batch follows, so `Any` is the same conditional append, retried (bounded) when a
//!   concurrent writer moves the head.
//! - Idempotent retry: when the batch's ids are already in the stream, in order and with the
//!   same content, the original outcome is returned; an id used there for something else is
//!   `StoreError::DuplicateEventId` (the comparison is the PostgreSQL store's). KurrentDB's
//!   own deduplication by event id covers a retry racing the original. **Limitation:** an id
//!   reused in *another* stream is not detected (KurrentDB has no index by event id).
//! - The outcome's positions are read back after the append (KurrentDB answers one position
//!   per write). So an append costs three round trips, and reads the whole stream: fine for
//!   DocuVault's per-aggregate streams, costly for a stream with very many events.
//!
//! **Hash chain.** `hash = SHA-256(prev_hash || canonical bytes)`, computed in Rust with the
//! PostgreSQL store's canonical encoding ([`canonical`](super::canonical)), over the stored
//! (sealed) values; `prev_hash` comes from the head read in the same conditional append.
//!
//! **Positions and checkpoints.** `$all` is ordered by (commit position, prepare position), which
//! only ever grows and is never filled in behind a reader, so the never-skip guarantee holds by
//! construction: `Checkpoint { tx: commit, pos: prepare }`, and `global_position` is the prepare
//! position (unique per event, increasing in log order). `checkpoint_of` finds the event at a
//! prepare position: for gRPC appends (implicit transactions) commit = prepare; for events of
//! an explicit transaction (legacy TCP clients) it scans 64 events either side. Positions are
//! log byte offsets, not counts: they have gaps, and projection lag in events is approximate.
//!
//! **Reads and subscriptions** leave out KurrentDB's system records (`$`-prefixed streams and
//! event types). `subscribe_all` catches up with batched reads of `$all`, then follows a live
//! `$all` subscription filtered server-side to non-system event types.
//!
//! **Personal data** is sealed and opened with the same envelope code and the same `DataKeys`
//! port as in the PostgreSQL store. The key ring stays in PostgreSQL
//! ([`PgDataKeys`](super::PgDataKeys)): erasing a user destroys the key there, and KurrentDB's
//! events stay intact (their personal data then reads as erased).
//!
//! # What KurrentDB cannot do (documented, not emulated)
//!
//! - `audit verify` walks `sealed_streams`: the stream ids are listed by one scan of `$all`
//!   (KurrentDB has no ordered stream listing without its system projections), then each
//!   stream is read in version order. Events are found by global position (the audit explorer,
//!   exports) with `checkpoint_of`'s look-up, one read each. The append-only guarantee is
//!   KurrentDB's own (events are immutable; stream deletion needs delete rights: give
//!   DocuVault's user none).
//! - PostgreSQL-only extras of [`PgEventStore`](super::PgEventStore) (`append_in` a caller's
//!   transaction, raw position-order reads) do not exist here: a KurrentDB append cannot join a
//!   PostgreSQL transaction.
//! - The connecting user needs read access to `$all` (an admin or ops user by default).

mod append;
mod mapping;
mod read;
mod subscribe;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::event::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use domain::ports::{AppendOutcome, ChainLink, DataKeys, EventStore, SealedEvent, StoreError};
use eventstore::{Client, ClientSettings};
use futures::stream::BoxStream;

use super::decode;

pub use mapping::normalise_url;

/// Tuning knobs; the defaults suit production.
#[derive(Debug, Clone)]
pub struct KurrentOptions {
    /// Events per `$all` read while a subscription catches up.
    pub batch_size: usize,
    /// How long a subscription waits after an error before reading again.
    pub retry_interval: Duration,
}

impl Default for KurrentOptions {
    fn default() -> Self {
        Self {
            batch_size: 1_000,
            retry_interval: Duration::from_millis(500),
        }
    }
}

/// The event store on KurrentDB/EventStoreDB. Cheap to clone; clones share one gRPC client.
#[derive(Clone)]
pub struct KurrentEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    keys: Arc<dyn DataKeys>,
    options: KurrentOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum KurrentConfigError {
    #[error("invalid KurrentDB connection string: {0}")]
    Url(String),
    #[error("KurrentDB client: {0}")]
    Client(String),
}

impl KurrentEventStore {
    /// Connects lazily (the first operation opens the channel) to the cluster named by a
    /// connection string such as `kurrentdb://admin:changeit@localhost:2113?tls=false`
    /// (`esdb://` works too). Must be called inside a Tokio runtime. Personal data is sealed
    /// with keys from `keys` (the PostgreSQL key ring in production).
    pub fn connect(url: &str, keys: Arc<dyn DataKeys>) -> Result<Self, KurrentConfigError> {
        Self::connect_with(url, keys, KurrentOptions::default())
    }

    pub fn connect_with(
        url: &str,
        keys: Arc<dyn DataKeys>,
        options: KurrentOptions,
    ) -> Result<Self, KurrentConfigError> {
        let settings: ClientSettings = normalise_url(url)
            .parse()
            // The parse error may quote the URL, password included: never repeat it.
            .map_err(|_| KurrentConfigError::Url("expected esdb:// or kurrentdb://…".into()))?;
        let client =
            Client::new(settings).map_err(|e| KurrentConfigError::Client(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                keys,
                options,
            }),
        })
    }
}

impl KurrentEventStore {
    /// The checkpoint of the last record in `$all` (`Checkpoint::START` for an empty log): a
    /// reader that starts here sees only what is appended afterwards.
    pub async fn head(&self) -> Result<Checkpoint, StoreError> {
        Ok(read::last_position(&self.inner.client)
            .await?
            .map_or(Checkpoint::START, mapping::checkpoint_of))
    }
}

#[async_trait]
impl EventStore for KurrentEventStore {
    #[tracing::instrument(level = "debug", skip_all, fields(stream = %stream, n = events.len()))]
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let started = std::time::Instant::now();
        let count = events.len();
        let inner = &self.inner;
        let outcome =
            append::append(&inner.client, inner.keys.as_ref(), stream, expected, events).await?;
        super::metrics::appended(stream.category(), count, started.elapsed());
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read::stream(
            &self.inner.client,
            self.inner.keys.as_ref(),
            stream,
            from_version,
        )
        .await
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read::all(&self.inner.client, self.inner.keys.as_ref(), after, limit).await
    }

    fn subscribe_all(
        &self,
        after: Checkpoint,
    ) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        subscribe::subscribe(self.inner.clone(), after)
    }

    async fn checkpoint_of(&self, global_position: u64) -> Result<Option<Checkpoint>, StoreError> {
        read::checkpoint_of(&self.inner.client, global_position).await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(read::last_position(&self.inner.client)
            .await?
            .map_or(0, |p| p.prepare))
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        let raw = read::raw_positions(&self.inner.client, positions).await?;
        decode::open_batch(
            self.inner.keys.as_ref(),
            raw.into_iter().map(|e| e.event).collect(),
        )
        .await
    }

    async fn read_chain_links(&self, positions: &[u64]) -> Result<Vec<ChainLink>, StoreError> {
        read::chain_links(&self.inner.client, positions).await
    }

    fn sealed_streams(&self) -> BoxStream<'_, Result<SealedEvent, StoreError>> {
        read::sealed_streams(self.inner.client.clone())
    }
}
