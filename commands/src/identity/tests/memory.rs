//! An in-memory `EventStore` for the identity handler tests. Unlike `crate::testing::MemoryStore`
//! it keeps each event's `data_key` and metadata (the tests check which key seals what), refuses
//! personal data without a key as the real store does, and yields in every read so concurrent
//! handlers really interleave between load and append.

use std::sync::Mutex;

use async_trait::async_trait;
use domain::event::{Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use domain::ports::{AppendOutcome, EventStore, StoreError};
use futures::stream::{self, BoxStream, StreamExt};

pub struct Stored {
    pub stream: StreamId,
    pub version: u64,
    pub position: u64,
    pub event: NewEvent,
}

#[derive(Default)]
pub struct MemoryStore {
    pub events: Mutex<Vec<Stored>>,
}

impl MemoryStore {
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

    fn record(s: &Stored) -> RecordedEvent {
        RecordedEvent {
            event_id: s.event.event_id,
            stream_id: s.stream.clone(),
            stream_version: s.version,
            global_position: s.position,
            checkpoint: Checkpoint {
                tx: 0,
                pos: s.position,
            },
            event_type: s.event.event_type.clone(),
            schema_version: s.event.schema_version,
            data: s.event.data.clone(),
            metadata: s.event.metadata.clone(),
            recorded_at: s.event.recorded_at,
        }
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
        let mut all = self.events.lock().unwrap();
        let current = all.iter().filter(|s| &s.stream == stream).count() as u64;
        let ok = match expected {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(n) => current == n,
        };
        if !ok {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual: current,
            });
        }
        for e in &events {
            let personal = e.data.to_string().contains("$pii")
                || serde_json::to_string(&e.metadata).unwrap().contains("$pii");
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
        tokio::task::yield_now().await;
        Ok(self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|s| &s.stream == stream && s.version >= from_version)
            .map(Self::record)
            .collect())
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.position > after.pos)
            .take(limit)
            .map(Self::record)
            .collect())
    }

    fn subscribe_all(
        &self,
        _after: Checkpoint,
    ) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        stream::empty().boxed()
    }

    async fn checkpoint_of(&self, global_position: u64) -> Result<Option<Checkpoint>, StoreError> {
        Ok(Some(Checkpoint {
            tx: 0,
            pos: global_position,
        }))
    }
}
