//! Test doubles for handler tests: an in-memory event store (optimistic concurrency like the real
//! one, no encryption, no live subscription) and an in-memory blob store.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use domain::blob::{
    BlobError, BlobStore, ByteStream, DownloadSpec, ObjectHead, ObjectKey, PresignedRequest,
    UploadSpec, Validity,
};
use domain::ports::{AppendOutcome, EventStore, StoreError};
use domain::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use futures::stream::BoxStream;
use futures::StreamExt;
use sha2::{Digest, Sha256};

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<(HashMap<StreamId, Vec<RecordedEvent>>, u64)>,
}

impl MemoryStore {
    pub fn all(&self) -> Vec<RecordedEvent> {
        let g = self.inner.lock().unwrap();
        let mut v: Vec<RecordedEvent> = g.0.values().flatten().cloned().collect();
        v.sort_by_key(|e| e.global_position);
        v
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
        let mut g = self.inner.lock().unwrap();
        let (streams, position) = &mut *g;
        let current = streams.get(stream).map(|s| s.len() as u64).unwrap_or(0);
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
        if let Some(dup) = events.iter().find(|e| {
            streams
                .values()
                .flatten()
                .any(|stored| stored.event_id == e.event_id)
        }) {
            return Err(StoreError::DuplicateEventId(dup.event_id));
        }
        let entry = streams.entry(stream.clone()).or_default();
        let first = *position + 1;
        for e in events {
            *position += 1;
            entry.push(RecordedEvent {
                event_id: e.event_id,
                stream_id: stream.clone(),
                stream_version: entry.len() as u64 + 1,
                global_position: *position,
                checkpoint: Checkpoint {
                    tx: *position,
                    pos: *position,
                },
                event_type: e.event_type,
                schema_version: e.schema_version,
                data: e.data,
                metadata: e.metadata,
                recorded_at: e.recorded_at,
            });
        }
        Ok(AppendOutcome {
            stream_version: entry.len() as u64,
            first_position: first,
            last_position: *position,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let g = self.inner.lock().unwrap();
        Ok(g.0
            .get(stream)
            .map(|s| {
                s.iter()
                    .filter(|e| e.stream_version >= from_version)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
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
