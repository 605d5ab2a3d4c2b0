//! Turning events in stored form (personal data sealed) into `RecordedEvent`s, shared by both
//! stores: the keys of every subject in a batch are fetched in one call, then each event's
//! sealed values are opened (or marked erased).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::event::{Checkpoint, EventMetadata, StreamId};
use domain::ports::{DataKeys, StoreError};
use domain::RecordedEvent;
use serde_json::Value;
use uuid::Uuid;

use super::crypto::{self, Location};

/// One event as a store read it back, before decryption.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StoredEvent {
    pub(super) event_id: Uuid,
    pub(super) stream_id: String,
    pub(super) stream_version: u64,
    pub(super) global_position: u64,
    pub(super) checkpoint: Checkpoint,
    pub(super) event_type: String,
    pub(super) schema_version: u32,
    pub(super) recorded_at: DateTime<Utc>,
    pub(super) data: Value,
    pub(super) metadata: Value,
}

/// Decrypts a batch with one key look-up and decodes its metadata.
pub(super) async fn open_batch(
    keys: &dyn DataKeys,
    events: Vec<StoredEvent>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut subjects = HashSet::new();
    for e in &events {
        crypto::collect_subjects(&e.data, &mut subjects);
        crypto::collect_subjects(&e.metadata, &mut subjects);
    }
    let keys = if subjects.is_empty() {
        Default::default()
    } else {
        let subjects: Vec<Uuid> = subjects.into_iter().collect();
        keys.get_many(&subjects)
            .await
            .map_err(|e| StoreError::Crypto(e.to_string()))?
    };
    events
        .into_iter()
        .map(|mut e| {
            if !keys.is_empty() {
                let at = Location {
                    stream_id: &e.stream_id,
                    event_id: e.event_id,
                };
                crypto::open(&mut e.data, "/data", at, &keys)
                    .and_then(|()| crypto::open(&mut e.metadata, "/metadata", at, &keys))
                    .map_err(|err| StoreError::Crypto(err.to_string()))?;
            }
            let metadata: EventMetadata = serde_json::from_value(e.metadata).map_err(|err| {
                StoreError::Backend(format!(
                    "undecodable metadata in event {}: {err}",
                    e.event_id
                ))
            })?;
            Ok(RecordedEvent {
                event_id: e.event_id,
                stream_id: StreamId::from_raw(e.stream_id),
                stream_version: e.stream_version,
                global_position: e.global_position,
                checkpoint: e.checkpoint,
                event_type: e.event_type,
                schema_version: e.schema_version,
                data: e.data,
                metadata,
                recorded_at: e.recorded_at,
            })
        })
        .collect()
}
