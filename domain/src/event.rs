//! The event envelope: what an aggregate emits (`NewEvent`), what the store hands back
//! (`RecordedEvent`), and how typed domain events map to `(event_type, schema_version, data)`.

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::personal::Personal;

/// A stream name such as `user-<uuid>` or `document-<uuid>`: `<category>-<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamId(String);

impl StreamId {
    /// A stream of the given category for one aggregate instance.
    pub fn new(category: &str, id: impl std::fmt::Display) -> Self {
        Self(format!("{category}-{id}"))
    }

    /// Wraps an already-formed stream name (as read back from a store).
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-`: the aggregate type (`user`, `document`, …).
    pub fn category(&self) -> &str {
        self.0.split_once('-').map(|(c, _)| c).unwrap_or(&self.0)
    }

    /// The part after the first `-`, parsed as a UUID when it is one.
    pub fn id(&self) -> Option<Uuid> {
        self.0
            .split_once('-')
            .and_then(|(_, id)| Uuid::parse_str(id).ok())
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The optimistic-concurrency condition of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's current version is.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (1-based).
    Exact(u64),
}

impl ExpectedVersion {
    /// `NoStream` for version 0, `Exact(v)` otherwise: what a handler that loaded `v` events expects.
    pub fn from_loaded(version: u64) -> Self {
        if version == 0 {
            Self::NoStream
        } else {
            Self::Exact(version)
        }
    }
}

/// Who did it, on whose behalf, and in which request. Stored with every event.
///
/// `client_ip` and `user_agent` are personal data and are encrypted with the event's data key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<Personal<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Personal<String>>,
    /// Free-form extra facts (e.g. `imported_at` for legacy imports). Never personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// UUIDv7; also the idempotency key: appending the same id twice stores it once.
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    /// The payload. `Personal` fields appear as `{"$pii": …}` and are encrypted by the store.
    pub data: Value,
    pub metadata: EventMetadata,
    /// Whose data key encrypts the personal data in `data` and `metadata`; required when any is present.
    pub data_key: Option<Uuid>,
    /// When it happened, as the command handler's clock saw it.
    pub recorded_at: DateTime<Utc>,
}

impl NewEvent {
    /// Builds a `NewEvent` from a typed domain event.
    pub fn from_domain<E: DomainEvent>(
        event: &E,
        metadata: EventMetadata,
        data_key: Option<Uuid>,
        recorded_at: DateTime<Utc>,
    ) -> Self {
        let (event_type, data) = encode_event(event);
        Self {
            event_id: Uuid::now_v7(),
            event_type,
            schema_version: event.schema_version(),
            data,
            metadata,
            data_key,
            recorded_at,
        }
    }
}

/// An event as stored, with its position in its stream and in the global log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream_id: StreamId,
    /// 1-based, gap-free within the stream.
    pub stream_version: u64,
    /// Unique and increasing in insertion order, but *not* in commit order: use `checkpoint`.
    pub global_position: u64,
    /// Where a reader that has processed this event resumes.
    pub checkpoint: Checkpoint,
    pub event_type: String,
    pub schema_version: u32,
    /// Decrypted payload; personal data whose key was destroyed reads as `{"$erased": true}`.
    pub data: Value,
    pub metadata: EventMetadata,
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// Decodes the payload into an aggregate's event enum.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, serde_json::Error> {
        decode_event(&self.event_type, self.schema_version, &self.data)
    }
}

/// A position in the global read order. For PostgreSQL it is `(transaction id, position)`; other
/// stores map their own commit position onto the two numbers. Ordered; `Checkpoint::START` is
/// before every event.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Checkpoint {
    pub tx: u64,
    pub pos: u64,
}

impl Checkpoint {
    pub const START: Checkpoint = Checkpoint { tx: 0, pos: 0 };
}

/// A typed domain event: one enum per aggregate, past-tense variants, adjacently tagged
/// `#[serde(tag = "type", content = "data")]` so that the variant name is the stored event type.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The stored schema version of this variant's shape. Bump it and add an upcaster in
    /// `upcast` when a shape changes; never rewrite stored events.
    fn schema_version(&self) -> u32 {
        1
    }

    /// Rewrites an older stored shape into the current one. The default accepts only version 1.
    fn upcast(_event_type: &str, _schema_version: u32, data: Value) -> Value {
        data
    }
}

/// `(event_type, data)` of a typed event.
pub fn encode_event<E: Serialize>(event: &E) -> (String, Value) {
    let value = serde_json::to_value(event).expect("domain events always serialize");
    match value {
        Value::Object(mut map) => {
            let event_type = map
                .remove("type")
                .and_then(|t| t.as_str().map(str::to_owned))
                .expect("domain events are adjacently tagged with `type`");
            let data = map
                .remove("data")
                .unwrap_or(Value::Object(Default::default()));
            (event_type, data)
        }
        _ => panic!("domain events serialize to objects"),
    }
}

/// The inverse of [`encode_event`], applying the event type's upcaster first.
pub fn decode_event<E: DomainEvent>(
    event_type: &str,
    schema_version: u32,
    data: &Value,
) -> Result<E, serde_json::Error> {
    let data = E::upcast(event_type, schema_version, data.clone());
    serde_json::from_value(serde_json::json!({ "type": event_type, "data": data }))
}
