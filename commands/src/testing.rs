//! Test doubles for handler tests: the in-memory event store (optimistic concurrency like the
//! real ones, no encryption, no live subscription) and an in-memory blob store.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use domain::blob::{
    BlobError, BlobStore, ByteStream, DownloadSpec, ObjectHead, ObjectKey, PresignedRequest,
    UploadSpec, Validity,
};
use domain::ports::{AppendOutcome, ChainLink, EventStore, SealedEvent, StoreError};
use domain::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use futures::stream::BoxStream;
use futures::StreamExt;
use sha2::{Digest, Sha256};

/// One appended event as the store keeps it: the `NewEvent` whole (its data key included, which
/// tests check) with the stream, version and position it was given.
pub struct Stored {
    pub stream: StreamId,
    pub version: u64,
    pub position: u64,
    pub event: NewEvent,
}

impl Stored {
    fn recorded(&self) -> RecordedEvent {
        RecordedEvent {
            event_id: self.event.event_id,
            stream_id: self.stream.clone(),
            stream_version: self.version,
            global_position: self.position,
            checkpoint: Checkpoint {
                tx: self.position,
                pos: self.position,
            },
            event_type: self.event.event_type.clone(),
            schema_version: self.event.schema_version,
            data: self.event.data.clone(),
            metadata: self.event.metadata.clone(),
            recorded_at: self.event.recorded_at,
        }
    }
}

/// The in-memory `EventStore` of every handler test. Like the real stores it enforces expected
/// versions and refuses personal data without a data key; any reused event id is
/// `DuplicateEventId` (the real stores accept an identical retry as idempotent); it yields
/// before every append and stream read, so concurrent handlers really interleave between their
/// load and their append. It does not encrypt, and its subscription yields only what is stored.
#[derive(Default)]
pub struct MemoryStore {
    /// Everything appended, in position order.
    pub events: Mutex<Vec<Stored>>,
}

impl MemoryStore {
    /// Every event, in position order.
    pub fn all(&self) -> Vec<RecordedEvent> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(Stored::recorded)
            .collect()
    }

    /// `(stream, event type)` of everything appended, in order.
    pub fn types(&self) -> Vec<(String, String)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|s| (s.stream.to_string(), s.event.event_type.clone()))
            .collect()
    }

    /// Every stored payload and metadata as one string (to look for leaked secrets).
    pub fn dump(&self) -> String {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|s| format!("{} {} {:?}\n", s.stream, s.event.data, s.event.metadata))
            .collect()
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        // Yield first so concurrent tasks interleave between load and append, as they would
        // against a real database.
        YieldOnce(false).await;
        let mut all = self.events.lock().unwrap();
        let current = all.iter().filter(|s| &s.stream == stream).count() as u64;
        let ok = match expected {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(v) => current == v,
        };
        if !ok {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual: current,
            });
        }
        if let Some(dup) = events
            .iter()
            .find(|e| all.iter().any(|s| s.event.event_id == e.event_id))
        {
            return Err(StoreError::DuplicateEventId(dup.event_id));
        }
        for e in &events {
            let personal = e.data.to_string().contains("$pii")
                || serde_json::to_string(&e.metadata)
                    .unwrap_or_default()
                    .contains("$pii");
            if personal && e.data_key.is_none() {
                return Err(StoreError::Crypto(
                    "personal data without a data key".into(),
                ));
            }
        }
        let first = all.len() as u64 + 1;
        for (i, event) in events.into_iter().enumerate() {
            let position = first + i as u64;
            all.push(Stored {
                stream: stream.clone(),
                version: current + 1 + i as u64,
                position,
                event,
            });
        }
        Ok(AppendOutcome {
            stream_version: all.iter().filter(|s| &s.stream == stream).count() as u64,
            first_position: first,
            last_position: all.len() as u64,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        YieldOnce(false).await;
        Ok(self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|s| &s.stream == stream && s.version >= from_version)
            .map(Stored::recorded)
            .collect())
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .all()
            .into_iter()
            .filter(|e| e.checkpoint > after)
            .take(limit)
            .collect())
    }

    /// The events stored so far (this double has no live tail).
    fn subscribe_all(
        &self,
        after: Checkpoint,
    ) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        let events: Vec<_> = self
            .all()
            .into_iter()
            .filter(|e| e.checkpoint > after)
            .map(Ok)
            .collect();
        futures::stream::iter(events).boxed()
    }

    async fn checkpoint_of(&self, global_position: u64) -> Result<Option<Checkpoint>, StoreError> {
        Ok(Some(Checkpoint {
            tx: global_position,
            pos: global_position,
        }))
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.all().last().map_or(0, |e| e.global_position))
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .all()
            .into_iter()
            .filter(|e| positions.contains(&e.global_position))
            .collect())
    }

    /// This double keeps no hash chain: hashes are empty.
    async fn read_chain_links(&self, positions: &[u64]) -> Result<Vec<ChainLink>, StoreError> {
        Ok(self
            .all()
            .into_iter()
            .filter(|e| positions.contains(&e.global_position))
            .map(|e| ChainLink {
                event: sealed(e),
                prev_hash: None,
            })
            .collect())
    }

    fn sealed_streams(&self) -> BoxStream<'_, Result<SealedEvent, StoreError>> {
        let mut events = self.all();
        events.sort_by(|a, b| {
            (a.stream_id.as_str(), a.stream_version).cmp(&(b.stream_id.as_str(), b.stream_version))
        });
        futures::stream::iter(events.into_iter().map(|e| Ok(sealed(e)))).boxed()
    }
}

/// A recorded event as this double's sealed form (it stores plain values and no hash chain).
fn sealed(e: RecordedEvent) -> SealedEvent {
    SealedEvent {
        global_position: e.global_position,
        stream_id: e.stream_id.to_string(),
        stream_version: e.stream_version,
        event_id: e.event_id,
        event_type: e.event_type,
        schema_version: e.schema_version,
        recorded_at: e.recorded_at,
        data: e.data,
        metadata: serde_json::to_value(&e.metadata).unwrap_or_default(),
        hash: Vec::new(),
    }
}

#[derive(Default)]
pub struct MemoryBlobs {
    objects: Mutex<HashMap<String, Bytes>>,
}

impl MemoryBlobs {
    pub fn insert(&self, key: &ObjectKey, bytes: &[u8]) {
        self.objects
            .lock()
            .unwrap()
            .insert(key.to_string(), Bytes::copy_from_slice(bytes));
    }

    pub fn contains(&self, key: &ObjectKey) -> bool {
        self.objects.lock().unwrap().contains_key(&key.to_string())
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn presign_put(
        &self,
        key: &ObjectKey,
        _spec: &UploadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: format!("memory://{key}"),
            headers: vec![],
            expires_at: validity.expires_at(),
        })
    }

    async fn presign_get(
        &self,
        key: &ObjectKey,
        _spec: &DownloadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        Ok(PresignedRequest {
            method: "GET".into(),
            url: format!("memory://{key}"),
            headers: vec![],
            expires_at: validity.expires_at(),
        })
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectHead>, BlobError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .get(&key.to_string())
            .map(|b| ObjectHead {
                size: b.len() as u64,
                sha256: Some(Sha256::digest(b).into()),
            }))
    }

    async fn put(
        &self,
        key: &ObjectKey,
        _content_type: &str,
        mut body: ByteStream,
        max_size: u64,
    ) -> Result<ObjectHead, BlobError> {
        let mut buf = Vec::new();
        while let Some(c) = body.next().await {
            buf.extend_from_slice(&c?);
            if buf.len() as u64 > max_size {
                return Err(BlobError::TooLarge { limit: max_size });
            }
        }
        self.insert(key, &buf);
        Ok(ObjectHead {
            size: buf.len() as u64,
            sha256: Some(Sha256::digest(&buf).into()),
        })
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, BlobError> {
        let b = self
            .objects
            .lock()
            .unwrap()
            .get(&key.to_string())
            .cloned()
            .ok_or(BlobError::NotFound)?;
        Ok(futures::stream::iter(vec![Ok(b)]).boxed())
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Bytes, BlobError> {
        let b = self
            .objects
            .lock()
            .unwrap()
            .get(&key.to_string())
            .cloned()
            .ok_or(BlobError::NotFound)?;
        Ok(b.slice(..b.len().min(len)))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), BlobError> {
        self.objects.lock().unwrap().remove(&key.to_string());
        Ok(())
    }
}

#[derive(Default)]
pub struct MemorySnapshots {
    inner: Mutex<HashMap<StreamId, (u64, serde_json::Value)>>,
}

#[async_trait]
impl crate::documents::SnapshotStore for MemorySnapshots {
    async fn load(
        &self,
        stream: &StreamId,
    ) -> Result<Option<(u64, serde_json::Value)>, crate::documents::FactsError> {
        Ok(self.inner.lock().unwrap().get(stream).cloned())
    }

    async fn save(
        &self,
        stream: &StreamId,
        version: u64,
        state: serde_json::Value,
    ) -> Result<(), crate::documents::FactsError> {
        let mut g = self.inner.lock().unwrap();
        if g.get(stream).is_none_or(|(v, _)| *v < version) {
            g.insert(stream.clone(), (version, state));
        }
        Ok(())
    }
}

/// Returns `Pending` once (waking itself), like `tokio::task::yield_now` without a runtime
/// dependency.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
