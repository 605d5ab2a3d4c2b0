//! Ports: what the domain and the command handlers need from the outside world. `infra`
//! implements them; tests may substitute the in-memory ones where a real one is not the subject.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use uuid::Uuid;

use crate::event::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};

/// An event in its stored form: personal data still sealed, with its chain hash. This is what the
/// hash chain covers, so `audit verify` and audit exports read it (a destroyed key never breaks
/// the chain).
#[derive(Debug, Clone, PartialEq)]
pub struct SealedEvent {
    pub global_position: u64,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub recorded_at: DateTime<Utc>,
    /// The payload as stored (sealed personal data).
    pub data: serde_json::Value,
    /// The metadata as stored (sealed personal data).
    pub metadata: serde_json::Value,
    /// `SHA-256(prev_hash || canonical bytes)` as stored; empty for a store that keeps no chain.
    pub hash: Vec<u8>,
}

/// A sealed event and the stored hash of its stream's previous version (what an export shows as
/// the link): `None` for version 1, or when the previous version is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainLink {
    pub event: SealedEvent,
    pub prev_hash: Option<Vec<u8>>,
}

/// What an append produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's version after the append (the version of its last event).
    pub stream_version: u64,
    /// Global position of the first and last appended event.
    pub first_position: u64,
    pub last_position: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's version did not match the expectation; the caller may reload and retry.
    #[error("wrong expected version for {stream}: expected {expected:?}, actual {actual}")]
    Conflict {
        stream: StreamId,
        expected: ExpectedVersion,
        actual: u64,
    },
    /// An event id was reused for a different event (not an idempotent retry).
    #[error("event id {0} already used by a different event")]
    DuplicateEventId(Uuid),
    /// A batch had personal data but no data key, or a key operation failed.
    #[error("encryption: {0}")]
    Crypto(String),
    /// Anything the backend reports (connection lost, …). Never contains personal data.
    #[error("event store backend: {0}")]
    Backend(String),
}

/// The append-only event log: the audit log and the single source of truth.
///
/// Contract (checked by the conformance suite in `tests/`):
/// - `append` is atomic for the batch; `expected` is checked against the stream's current version;
///   appending events whose ids are all already stored, in the same stream and order, succeeds and
///   returns the original outcome without duplicating anything (an idempotent retry).
/// - stream versions are 1-based and gap-free.
/// - `read_all`/`subscribe_all` return every committed event exactly once, in an order consistent
///   with each stream's versions, and never skip an event committed late by a concurrent writer.
/// - personal data (`{"$pii": …}` markers) is encrypted at rest with the event's `data_key`;
///   reads give back `{"$pii": …}`, or `{"$erased": true}` once that key is destroyed.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends `events` (at least one) to `stream` if its current version matches `expected`.
    ///
    /// Errors: `Conflict` when the version does not match (nothing written; with `Any` only if
    /// the store gave up retrying a contended stream); `DuplicateEventId` when an id is already
    /// stored for a different event, or appears twice in the batch; `Crypto` when an event has
    /// personal data but no `data_key`, or its subject's key was destroyed; `Backend` otherwise.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Events of one stream with `stream_version >= from_version`, in version order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events after `after`, in global read order; only events that can no longer be
    /// preceded by a late commit are returned, so an empty answer means "nothing readable yet",
    /// not "nothing committed". `Crypto` when a ciphertext fails authentication (tampering).
    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// `read_all` from `after`, then live events as they commit. Never ends on its own; a failed
    /// read is yielded as an `Err` item and retried after a pause, so the consumer decides
    /// whether to stop (a projection must: it may never skip).
    fn subscribe_all(
        &self,
        after: Checkpoint,
    ) -> BoxStream<'static, Result<RecordedEvent, StoreError>>;

    /// The read-order checkpoint of the event at a global position, once it is readable
    /// (committed and not preceded by any in-flight transaction); `None` otherwise.
    async fn checkpoint_of(&self, global_position: u64) -> Result<Option<Checkpoint>, StoreError>;

    /// The head of the log: the highest global position stored (committed, readable or not), 0
    /// for an empty log. Projection lag is measured against it, so it may be approximate
    /// (KurrentDB's positions are log offsets) but never below a position already read.
    async fn head_position(&self) -> Result<u64, StoreError>;

    /// The events at the given global positions, decrypted (`{"$erased": true}` where the key is
    /// gone), in position order; positions that hold no event are left out. Used by the audit
    /// explorer, which selects positions from its index.
    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events at the given global positions in stored (sealed) form, each with the stored
    /// hash of its stream's previous version, in position order; positions that hold no event
    /// are left out. Used by audit exports.
    async fn read_chain_links(&self, positions: &[u64]) -> Result<Vec<ChainLink>, StoreError>;

    /// Every stored event in sealed form, stream by stream (streams in id order where the
    /// backend can, each in version order, every stream exactly once): what `audit verify`
    /// walks. Events appended during the walk may or may not be included. A failed read ends
    /// the stream with an `Err` item.
    fn sealed_streams(&self) -> BoxStream<'_, Result<SealedEvent, StoreError>>;
}

/// A 256-bit data key. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(pub [u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key store backend: {0}")]
    Backend(String),
    #[error("a data key could not be unwrapped with the master key")]
    Unwrap,
    /// The subject's key was destroyed (crypto-shredding); it is never re-created.
    #[error("the data key of subject {0} was destroyed")]
    Destroyed(Uuid),
}

/// Per-subject data keys, wrapped by a master key. Destroying a key is crypto-shredding: every
/// value encrypted with it becomes unreadable while the log stays intact.
///
/// Contract: a subject has at most one key in its lifetime. `destroy` leaves a tombstone, after
/// which `get` answers `None` and `get_or_create` fails with [`KeyError::Destroyed`], so personal
/// data can never again be written for an erased subject by accident. Implementations may cache
/// keys briefly; a `destroy` through the same instance takes effect immediately.
#[async_trait]
pub trait DataKeys: Send + Sync {
    /// The subject's key, created on first use. Fails with [`KeyError::Destroyed`] for a
    /// destroyed subject.
    async fn get_or_create(&self, subject: Uuid) -> Result<DataKey, KeyError>;
    /// The subject's key, `None` when it never existed or was destroyed.
    async fn get(&self, subject: Uuid) -> Result<Option<DataKey>, KeyError>;
    /// [`DataKeys::get`] for several subjects at once (one round trip where the backend allows):
    /// every requested subject is in the answer.
    async fn get_many(
        &self,
        subjects: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Option<DataKey>>, KeyError> {
        let mut out = std::collections::HashMap::with_capacity(subjects.len());
        for s in subjects {
            out.insert(*s, self.get(*s).await?);
        }
        Ok(out)
    }
    /// Destroys the key for good. Idempotent; destroying a subject that never had a key still
    /// leaves the tombstone.
    async fn destroy(&self, subject: Uuid) -> Result<(), KeyError>;
}

/// The time, injectable so expiry, TOTP windows and throttling are tested without sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set and advance by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}
