//! The pure mapping between our envelope and KurrentDB's: versions ↔ revisions, checkpoints ↔
//! `$all` positions, events ↔ event data/metadata JSON, client errors ↔ `StoreError`.

use chrono::{DateTime, Utc};
use domain::event::{Checkpoint, ExpectedVersion, StreamId};
use domain::ports::StoreError;
use eventstore::{CurrentRevision, EventData, ExpectedRevision, Position, StreamPosition};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::super::append::Prepared;
use super::super::canonical;
use super::super::decode::StoredEvent;

/// The custom metadata of every KurrentDB event we write: the envelope fields KurrentDB has no
/// place for. `$correlationId`/`$causationId` are KurrentDB's own conventions (its
/// `$by_correlation_id` projection reads them); ours stay inside `metadata`, which is what the
/// hash covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Envelope {
    pub(super) schema_version: u32,
    /// RFC 3339 UTC with microseconds: the precision the hash was computed at (the PostgreSQL
    /// store's, so a log can move between stores and still verify).
    pub(super) recorded_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) data_key: Option<Uuid>,
    /// Our `EventMetadata`, personal data sealed.
    pub(super) metadata: Value,
    /// Hex of `SHA-256(prev_hash || canonical bytes)`.
    pub(super) hash: String,
    #[serde(
        rename = "$correlationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) correlation_id: Option<Uuid>,
    #[serde(
        rename = "$causationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) causation_id: Option<Uuid>,
}

/// A stored event with its chain hash, decoded from KurrentDB but not yet decrypted.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct KurrentStored {
    pub(super) event: StoredEvent,
    pub(super) hash: [u8; 32],
}

/// Our 1-based stream version of a KurrentDB revision (0-based).
pub(super) fn version_of(revision: u64) -> u64 {
    revision + 1
}

/// The revision to read a stream from so that the first event has `from_version` (versions
/// below 1 start at the beginning).
pub(super) fn read_from(from_version: u64) -> StreamPosition<u64> {
    match from_version {
        0 | 1 => StreamPosition::Start,
        v => StreamPosition::Position(v - 1),
    }
}

/// The expected revision that makes KurrentDB accept an append only on a stream whose head is
/// exactly `head` (our version; 0 = no events).
pub(super) fn expected_revision(head: u64) -> ExpectedRevision {
    match head {
        0 => ExpectedRevision::NoStream,
        n => ExpectedRevision::Exact(n - 1),
    }
}

/// Our `ExpectedVersion` checked against the head we read: `Err(actual)` on a mismatch.
/// `Exact(0)` means "no events yet", as in the PostgreSQL store.
pub(super) fn check_expected(expected: ExpectedVersion, head: u64) -> Result<(), u64> {
    let ok = match expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream => head == 0,
        ExpectedVersion::Exact(n) => head == n,
    };
    if ok {
        Ok(())
    } else {
        Err(head)
    }
}

/// Our version of KurrentDB's current revision in a wrong-expected-version answer.
pub(super) fn actual_version(current: CurrentRevision) -> u64 {
    match current {
        CurrentRevision::Current(r) => version_of(r),
        CurrentRevision::NoStream => 0,
    }
}

/// The read-order checkpoint of a `$all` position: `$all` is ordered by (commit, prepare),
/// exactly as `Checkpoint` orders (tx, pos).
pub(super) fn checkpoint_of(position: Position) -> Checkpoint {
    Checkpoint {
        tx: position.commit,
        pos: position.prepare,
    }
}

/// Where to resume reading `$all` after a checkpoint (`START` is the beginning of the log).
pub(super) fn position_of(checkpoint: Checkpoint) -> StreamPosition<Position> {
    if checkpoint == Checkpoint::START {
        StreamPosition::Start
    } else {
        StreamPosition::Position(Position {
            commit: checkpoint.tx,
            prepare: checkpoint.pos,
        })
    }
}

/// KurrentDB's own records (`$`-prefixed streams such as `$$user-1` or `$stats-…`, and
/// `$`-prefixed event types such as `$metadata` or the `$>` links of system projections) are not
/// DocuVault events.
pub(super) fn is_system(stream_id: &str, event_type: &str) -> bool {
    stream_id.starts_with('$') || event_type.starts_with('$')
}

/// The custom metadata of the `i`-th event of a prepared batch, with its chain hash.
pub(super) fn envelope(p: &Prepared, i: usize, hash: &[u8; 32]) -> Envelope {
    let meta = &p.metadata[i];
    let uuid_at = |k: &str| {
        meta.get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
    };
    Envelope {
        // `prepare` made it from a `u32`.
        schema_version: u32::try_from(p.schema_versions[i]).unwrap_or_default(),
        recorded_at: canonical::timestamp(p.recorded_at[i]),
        data_key: p.data_keys[i],
        metadata: meta.clone(),
        hash: hex::encode(hash),
        correlation_id: uuid_at("correlation_id"),
        causation_id: uuid_at("causation_id"),
    }
}

/// The KurrentDB event for the `i`-th event of a prepared batch. The KurrentDB event id *is* our
/// event id, so KurrentDB's own deduplication applies to retries too.
pub(super) fn event_data(p: &Prepared, i: usize, hash: &[u8; 32]) -> Result<EventData, StoreError> {
    let unserializable = |e: serde_json::Error| StoreError::Backend(format!("event encoding: {e}"));
    EventData::json(&p.types[i], &p.data[i])
        .map_err(unserializable)?
        .id(p.ids[i])
        .metadata_as_json(&envelope(p, i, hash))
        .map_err(unserializable)
}

/// Decodes one event read from KurrentDB. `None` for KurrentDB's system events; an error for an
/// event in a DocuVault stream that was not written by this store (no envelope).
pub(super) fn stored(e: &eventstore::RecordedEvent) -> Result<Option<KurrentStored>, StoreError> {
    if is_system(&e.stream_id, &e.event_type) {
        return Ok(None);
    }
    let foreign = |what: &str| {
        StoreError::Backend(format!(
            "event {} in stream {} (revision {}) has {what}: not written by DocuVault",
            e.id, e.stream_id, e.revision
        ))
    };
    let data: Value = serde_json::from_slice(&e.data).map_err(|_| foreign("non-JSON data"))?;
    let envelope: Envelope = serde_json::from_slice(&e.custom_metadata)
        .map_err(|_| foreign("no DocuVault envelope in its metadata"))?;
    let recorded_at = DateTime::parse_from_rfc3339(&envelope.recorded_at)
        .map_err(|_| foreign("an unreadable recorded_at"))?
        .with_timezone(&Utc);
    let hash: [u8; 32] = hex::decode(&envelope.hash)
        .ok()
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| foreign("an unreadable hash"))?;
    Ok(Some(KurrentStored {
        event: StoredEvent {
            event_id: e.id,
            stream_id: e.stream_id.clone(),
            stream_version: version_of(e.revision),
            global_position: e.position.prepare,
            checkpoint: checkpoint_of(e.position),
            event_type: e.event_type.clone(),
            schema_version: envelope.schema_version,
            recorded_at,
            data,
            metadata: envelope.metadata,
        },
        hash,
    }))
}

/// A client error as a `StoreError`. A wrong expected version is our conflict; everything else
/// is a backend failure whose text names the operation (client errors carry no event payloads,
/// so no personal data).
pub(super) fn store_error(
    stream: &StreamId,
    expected: ExpectedVersion,
    operation: &str,
    e: eventstore::Error,
) -> StoreError {
    match e {
        eventstore::Error::WrongExpectedVersion { current, .. } => StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual: actual_version(current),
        },
        other => backend(operation, other),
    }
}

/// A client error of an operation that has no expected version.
pub(super) fn backend(operation: &str, e: eventstore::Error) -> StoreError {
    let hint = match &e {
        eventstore::Error::AccessDenied => {
            " (the user in DOCUVAULT_KURRENTDB_URL needs read access to $all and write access to DocuVault's streams)"
        }
        eventstore::Error::ResourceDeleted => " (DocuVault never deletes streams: it was deleted outside DocuVault)",
        _ => "",
    };
    StoreError::Backend(format!("KurrentDB {operation}: {e}{hint}"))
}

/// Accepts `kurrentdb://`, `kdb://` and `esdb://` connection strings (and their `+discover`
/// forms): the client only parses the older `esdb` schemes, which name the same protocol.
pub fn normalise_url(url: &str) -> String {
    for (from, to) in [
        ("kurrentdb+discover://", "esdb+discover://"),
        ("kurrent+discover://", "esdb+discover://"),
        ("kdb+discover://", "esdb+discover://"),
        ("kurrentdb://", "esdb://"),
        ("kurrent://", "esdb://"),
        ("kdb://", "esdb://"),
    ] {
        if let Some(rest) = url.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use domain::event::{EventMetadata, NewEvent};
    use domain::ports::{DataKey, DataKeys, KeyError};
    use domain::Personal;
    use serde_json::json;
    use std::collections::HashMap;

    use super::super::super::append;
    use super::super::super::decode;

    /// A key ring in memory: one fixed key per subject.
    struct Keys;

    #[async_trait::async_trait]
    impl DataKeys for Keys {
        async fn get_or_create(&self, _subject: Uuid) -> Result<DataKey, KeyError> {
            Ok(DataKey([3; 32]))
        }
        async fn get(&self, _subject: Uuid) -> Result<Option<DataKey>, KeyError> {
            Ok(Some(DataKey([3; 32])))
        }
        async fn destroy(&self, _subject: Uuid) -> Result<(), KeyError> {
            Ok(())
        }
    }

    fn new_event() -> NewEvent {
        let owner = Uuid::from_u128(42);
        NewEvent {
            event_id: Uuid::from_u128(7),
            event_type: "UserRegistered".into(),
            schema_version: 2,
            data: json!({"email": {"$pii": "a@b.c"}, "n": 1.0}),
            metadata: EventMetadata {
                correlation_id: Some(Uuid::from_u128(5)),
                client_ip: Some(Personal::new("203.0.113.7".into())),
                ..Default::default()
            },
            data_key: Some(owner),
            recorded_at: DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap(),
        }
    }

    /// What the KurrentDB client would hand back for an `EventData` we wrote.
    fn as_recorded(
        stream: &str,
        revision: u64,
        position: Position,
        id: Uuid,
        event_type: &str,
        data: &Value,
        envelope: &Envelope,
    ) -> eventstore::RecordedEvent {
        eventstore::RecordedEvent {
            stream_id: stream.into(),
            id,
            revision,
            event_type: event_type.into(),
            data: Bytes::from(serde_json::to_vec(data).unwrap()),
            metadata: HashMap::new(),
            custom_metadata: Bytes::from(serde_json::to_vec(envelope).unwrap()),
            is_json: true,
            position,
            created: Utc::now(),
        }
    }

    #[tokio::test]
    async fn envelope_round_trips_through_kurrent_event_data_and_metadata() {
        let stream = StreamId::from_raw("user-42");
        let p = append::prepare(&Keys, &stream, vec![new_event()])
            .await
            .unwrap();
        let hash = canonical::chain_hash(&canonical::GENESIS_HASH, 1, &p.tails[0]);
        let envelope = envelope(&p, 0, &hash);
        assert_eq!(envelope.schema_version, 2);
        assert_eq!(envelope.data_key, Some(Uuid::from_u128(42)));
        assert_eq!(envelope.metadata, p.metadata[0]);
        // `EventData` keeps its fields private; its id is what KurrentDB deduplicates by.
        let data = event_data(&p, 0, &hash).unwrap();
        assert!(format!("{data:?}").contains(&p.ids[0].to_string()));
        let wire = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            wire["$correlationId"],
            json!(Uuid::from_u128(5).to_string())
        );
        assert!(wire.get("$causationId").is_none());
        assert_eq!(wire["recorded_at"], json!("2027-01-15T08:00:00.123456Z"));
        assert!(!wire.to_string().contains("203.0.113.7"), "sealed at rest");
        assert!(!serde_json::to_string(&p.data[0]).unwrap().contains("a@b.c"));

        let position = Position {
            commit: 900,
            prepare: 900,
        };
        let recorded = as_recorded(
            "user-42",
            0,
            position,
            p.ids[0],
            "UserRegistered",
            &p.data[0],
            &envelope,
        );
        let back = stored(&recorded).unwrap().unwrap();
        assert_eq!(back.hash, hash);
        assert_eq!(back.event.stream_version, 1);
        assert_eq!(back.event.global_position, 900);
        assert_eq!(back.event.checkpoint, Checkpoint { tx: 900, pos: 900 });
        assert_eq!(back.event.schema_version, 2);
        assert_eq!(back.event.recorded_at, p.recorded_at[0]);
        // The chain recomputes from what was read back.
        let fields = canonical::CanonicalFields {
            stream_id: &back.event.stream_id,
            event_id: back.event.event_id,
            event_type: &back.event.event_type,
            schema_version: back.event.schema_version,
            recorded_at: back.event.recorded_at,
            data: &back.event.data,
            metadata: &back.event.metadata,
        };
        assert_eq!(
            canonical::event_hash(&canonical::GENESIS_HASH, 1, &fields),
            hash
        );
        // And it decrypts to the event that was appended.
        let opened = decode::open_batch(&Keys, vec![back.event]).await.unwrap();
        let original = new_event();
        assert_eq!(opened[0].data["email"], json!({"$pii": "a@b.c"}));
        assert_eq!(opened[0].metadata, original.metadata);
        assert_eq!(opened[0].event_id, original.event_id);
    }

    #[test]
    fn system_and_foreign_events_are_recognised() {
        let envelope = Envelope {
            schema_version: 1,
            recorded_at: "2026-01-01T00:00:00.000000Z".into(),
            data_key: None,
            metadata: json!({}),
            hash: hex::encode([0u8; 32]),
            correlation_id: None,
            causation_id: None,
        };
        let at = Position {
            commit: 1,
            prepare: 1,
        };
        for (stream, ty) in [
            ("$$user-1", "$metadata"),
            ("$ce-user", "$>"),
            ("user-1", "$>"),
        ] {
            let e = as_recorded(stream, 0, at, Uuid::nil(), ty, &json!({}), &envelope);
            assert_eq!(stored(&e).unwrap(), None, "{stream} {ty}");
        }
        let mut foreign = as_recorded("user-1", 0, at, Uuid::nil(), "X", &json!({}), &envelope);
        foreign.custom_metadata = Bytes::from_static(b"{\"some\":\"thing\"}");
        let err = stored(&foreign).unwrap_err();
        assert!(
            err.to_string().contains("not written by DocuVault"),
            "{err}"
        );
    }

    #[test]
    fn versions_map_to_zero_based_revisions() {
        assert_eq!(version_of(0), 1);
        assert_eq!(expected_revision(0), ExpectedRevision::NoStream);
        assert_eq!(expected_revision(3), ExpectedRevision::Exact(2));
        assert_eq!(read_from(0), StreamPosition::Start);
        assert_eq!(read_from(1), StreamPosition::Start);
        assert_eq!(read_from(4), StreamPosition::Position(3));
        assert_eq!(actual_version(CurrentRevision::NoStream), 0);
        assert_eq!(actual_version(CurrentRevision::Current(4)), 5);
    }

    #[test]
    fn expected_versions_are_checked_against_the_head() {
        assert_eq!(check_expected(ExpectedVersion::Any, 0), Ok(()));
        assert_eq!(check_expected(ExpectedVersion::Any, 9), Ok(()));
        assert_eq!(check_expected(ExpectedVersion::NoStream, 0), Ok(()));
        assert_eq!(check_expected(ExpectedVersion::NoStream, 1), Err(1));
        assert_eq!(check_expected(ExpectedVersion::Exact(0), 0), Ok(()));
        assert_eq!(check_expected(ExpectedVersion::Exact(2), 2), Ok(()));
        assert_eq!(check_expected(ExpectedVersion::Exact(2), 3), Err(3));
        assert_eq!(check_expected(ExpectedVersion::Exact(2), 0), Err(0));
    }

    #[test]
    fn positions_and_checkpoints_order_alike() {
        let a = Position {
            commit: 10,
            prepare: 10,
        };
        let b = Position {
            commit: 10,
            prepare: 20,
        };
        let c = Position {
            commit: 30,
            prepare: 5,
        };
        assert!(a < b && b < c);
        assert!(checkpoint_of(a) < checkpoint_of(b) && checkpoint_of(b) < checkpoint_of(c));
        assert_eq!(position_of(Checkpoint::START), StreamPosition::Start);
        assert_eq!(position_of(checkpoint_of(c)), StreamPosition::Position(c));
    }

    #[test]
    fn wrong_expected_version_is_our_conflict_and_the_rest_is_backend() {
        let s = StreamId::from_raw("doc-1");
        let wev = eventstore::Error::WrongExpectedVersion {
            expected: ExpectedRevision::Exact(0),
            current: CurrentRevision::Current(2),
        };
        match store_error(&s, ExpectedVersion::Exact(1), "append", wev) {
            StoreError::Conflict {
                stream,
                expected,
                actual,
            } => {
                assert_eq!(stream, s);
                assert_eq!(expected, ExpectedVersion::Exact(1));
                assert_eq!(actual, 3);
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        let denied = store_error(
            &s,
            ExpectedVersion::Any,
            "read",
            eventstore::Error::AccessDenied,
        );
        assert!(
            matches!(&denied, StoreError::Backend(m) if m.contains("$all")),
            "{denied:?}"
        );
        let gone = backend("append", eventstore::Error::ConnectionClosed);
        assert!(matches!(&gone, StoreError::Backend(m) if m.starts_with("KurrentDB append")));
    }

    #[test]
    fn kurrentdb_urls_are_accepted() {
        assert_eq!(
            normalise_url("kurrentdb://admin:changeit@localhost:2113?tls=false"),
            "esdb://admin:changeit@localhost:2113?tls=false"
        );
        assert_eq!(
            normalise_url("kurrentdb+discover://cluster.local:2113"),
            "esdb+discover://cluster.local:2113"
        );
        assert_eq!(normalise_url("esdb://h:1"), "esdb://h:1");
        assert!(normalise_url("kdb://h:2113")
            .parse::<eventstore::ClientSettings>()
            .is_ok());
    }
}
