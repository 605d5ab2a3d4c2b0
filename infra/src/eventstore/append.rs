//! The append path: preparing a batch (encryption, canonical tails), the one-statement insert
//! that checks the expected version and extends the hash chain, and the conflict resolution that
//! tells an idempotent retry from a real conflict or a reused event id.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use domain::event::{ExpectedVersion, NewEvent, StreamId};
use domain::ports::{AppendOutcome, DataKey, DataKeys, KeyError, StoreError};
use domain::RecordedEvent;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::canonical::{self, CanonicalFields};
use super::crypto::{self, Location};
use super::rows::{self, backend};

/// A compile-checked `sqlx::$query!` (`query!`, or `query_as!` with `$record`) on one literal:
/// `$before`, the head of the stream named by `$stream` as `(version, hash)` (`(0, 32 zero bytes)`
/// when it has no events yet), then `$after`. The append statements read the head this way.
macro_rules! with_head {
    ($query:ident!($($record:ident,)? $before:literal, $stream:literal, $after:literal $(, $arg:expr)* $(,)?)) => {
        sqlx::$query!(
            $($record,)?
            $before
                + r#"(
    select coalesce(l.stream_version, 0) as version,
           coalesce(l.hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) as hash
    from (select) as one
    left join lateral (
        select stream_version, hash from events
        where stream_id = "#
                + $stream
                + r#"
        order by stream_version desc
        limit 1
    ) as l on true
)"#
                + $after
            $(, $arg)*
        )
    };
}
pub(super) use with_head;

const STREAM_VERSION_KEY: &str = "events_stream_version_key";
const EVENT_ID_KEY: &str = "events_event_id_key";

/// A batch ready for the append statements ([`attempt`]): personal data sealed, timestamps at the column's precision,
/// canonical tails computed. One entry per event in each vector.
///
/// Shared by both stores: the KurrentDB store reads the same sealed values and tails.
pub(super) struct Prepared {
    pub(super) stream: StreamId,
    pub(super) ids: Vec<Uuid>,
    pub(super) types: Vec<String>,
    pub(super) schema_versions: Vec<i32>,
    pub(super) recorded_at: Vec<DateTime<Utc>>,
    /// Stored form: personal data sealed.
    pub(super) data: Vec<Value>,
    pub(super) metadata: Vec<Value>,
    /// Each event's `data_key` subject, as given.
    pub(super) data_keys: Vec<Option<Uuid>>,
    pub(super) tails: Vec<Vec<u8>>,
    /// The plaintext `(data, metadata)` of events whose stored form differs (personal data),
    /// to recognise an idempotent retry; `None` where the stored form is the plaintext.
    plain: Vec<Option<(Value, Value)>>,
}

impl Prepared {
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    fn plain_data(&self, i: usize) -> &Value {
        self.plain[i].as_ref().map_or(&self.data[i], |p| &p.0)
    }

    fn plain_metadata(&self, i: usize) -> &Value {
        self.plain[i].as_ref().map_or(&self.metadata[i], |p| &p.1)
    }
}

pub(super) async fn prepare(
    keys: &dyn DataKeys,
    stream: &StreamId,
    events: Vec<NewEvent>,
) -> Result<Prepared, StoreError> {
    if events.is_empty() {
        return Err(StoreError::Backend(
            "an append needs at least one event".into(),
        ));
    }
    let mut seen = HashSet::with_capacity(events.len());
    if let Some(dup) = events.iter().find(|e| !seen.insert(e.event_id)) {
        return Err(StoreError::DuplicateEventId(dup.event_id));
    }
    let n = events.len();
    let mut p = Prepared {
        stream: stream.clone(),
        ids: Vec::with_capacity(n),
        types: Vec::with_capacity(n),
        schema_versions: Vec::with_capacity(n),
        recorded_at: Vec::with_capacity(n),
        data: Vec::with_capacity(n),
        metadata: Vec::with_capacity(n),
        data_keys: Vec::with_capacity(n),
        tails: Vec::with_capacity(n),
        plain: Vec::with_capacity(n),
    };
    let mut subject_keys: HashMap<Uuid, DataKey> = HashMap::new();
    for e in events {
        // PostgreSQL keeps microseconds; hash exactly what is stored.
        let recorded_at = e.recorded_at.trunc_subsecs(6);
        let mut data = e.data;
        let mut metadata = serde_json::to_value(&e.metadata)
            .map_err(|err| StoreError::Backend(format!("unserializable metadata: {err}")))?;
        let personal = crypto::scan(&data, "/data", e.event_id).map_err(crypto_error)?
            | crypto::scan(&metadata, "/metadata", e.event_id).map_err(crypto_error)?;
        let plain = personal.then(|| (data.clone(), metadata.clone()));
        if personal {
            let subject = e
                .data_key
                .ok_or_else(|| crypto_error(crypto::CryptoError::NoDataKey(e.event_id)))?;
            let key = match subject_keys.get(&subject) {
                Some(k) => k.clone(),
                None => {
                    let k = keys.get_or_create(subject).await.map_err(key_error)?;
                    subject_keys.insert(subject, k.clone());
                    k
                }
            };
            let at = Location {
                stream_id: stream.as_str(),
                event_id: e.event_id,
            };
            crypto::seal(&mut data, "/data", at, subject, &key).map_err(crypto_error)?;
            crypto::seal(&mut metadata, "/metadata", at, subject, &key).map_err(crypto_error)?;
        }
        let schema_version = i32::try_from(e.schema_version).map_err(|_| {
            StoreError::Backend(format!("schema version {} too large", e.schema_version))
        })?;
        p.tails.push(canonical::tail(&CanonicalFields {
            stream_id: stream.as_str(),
            event_id: e.event_id,
            event_type: &e.event_type,
            schema_version: e.schema_version,
            recorded_at,
            data: &data,
            metadata: &metadata,
        }));
        p.ids.push(e.event_id);
        p.types.push(e.event_type);
        p.schema_versions.push(schema_version);
        p.recorded_at.push(recorded_at);
        p.data.push(data);
        p.metadata.push(metadata);
        p.data_keys.push(e.data_key);
        p.plain.push(plain);
    }
    Ok(p)
}

fn key_error(e: KeyError) -> StoreError {
    StoreError::Crypto(e.to_string())
}

fn crypto_error(e: crypto::CryptoError) -> StoreError {
    StoreError::Crypto(e.to_string())
}

/// A row the append statements return: where an event went.
struct Appended {
    global_position: i64,
    stream_version: i64,
}

/// What one execution of the append statement did.
pub(super) enum Attempt {
    Appended(AppendOutcome),
    /// The stream head did not match the expected version; nothing was written.
    ExpectedMismatch,
    /// A concurrent append took the version first.
    VersionTaken,
    /// One of the event ids is already stored (maybe an idempotent retry).
    EventIdTaken,
}

pub(super) fn expected_param(expected: ExpectedVersion) -> Option<i64> {
    match expected {
        ExpectedVersion::Any => None,
        ExpectedVersion::NoStream => Some(0),
        ExpectedVersion::Exact(n) => Some(i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

pub(super) async fn attempt<'e, E>(
    exec: E,
    expected: ExpectedVersion,
    p: &Prepared,
) -> Result<Attempt, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let result = if p.ids.len() == 1 {
        // The common one-event append, with scalar parameters: no recursion, no `unnest`,
        // measurably cheaper for the server than the batch statement below.
        with_head!(query_as!(
            Appended,
            r#"
insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                    recorded_at, data, metadata, hash)
select $3, $1, h.version + 1, $4, $5, $6, $7, $8,
       sha256(h.hash || convert_to('[' || (h.version + 1)::text, 'UTF8') || $9)
from "#,
            "$1",
            r#" as h
where $2::int8 is null or h.version = $2::int8
returning global_position, stream_version
"#,
            p.stream.as_str(),
            expected_param(expected),
            p.ids[0],
            &p.types[0],
            p.schema_versions[0],
            p.recorded_at[0],
            &p.data[0],
            &p.metadata[0],
            &p.tails[0]
        ))
        .fetch_all(exec)
        .await
    } else {
        // One statement, so an append costs one round trip and runs as its own transaction (or
        // inside the caller's). It reads the stream head, checks the expected version (`$2` is
        // null for `Any`, 0 for `NoStream`), numbers the events after the head and chains their
        // hashes in a recursive CTE: `hash = sha256(prev_hash || '[' || version || tail)`, the
        // tail (the rest of the canonical bytes) coming from the client. A version mismatch
        // inserts nothing and returns no rows. Two concurrent appends that read the same head
        // collide on `events_stream_version_key` (23505), which is what makes the head read safe
        // without locking.
        with_head!(query_as!(
            Appended,
            "with recursive head as ",
            "$1",
            r#",
chain as (
    select 0::int8 as n, version, hash from head
    where $2::int8 is null or version = $2::int8
    union all
    select c.n + 1, c.version + 1,
           sha256(c.hash || convert_to('[' || (c.version + 1)::text, 'UTF8') || ($9::bytea[])[c.n + 1])
    from chain as c
    where c.n < cardinality($9::bytea[])
)
insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                    recorded_at, data, metadata, hash)
select i.event_id, $1, c.version, i.event_type, i.schema_version,
       i.recorded_at, i.data, i.metadata, c.hash
from unnest($3::uuid[], $4::text[], $5::int4[], $6::timestamptz[], $7::jsonb[], $8::jsonb[])
         with ordinality as i(event_id, event_type, schema_version, recorded_at, data, metadata, n)
join chain as c on c.n = i.n
order by i.n
returning global_position, stream_version
"#,
            p.stream.as_str(),
            expected_param(expected),
            &p.ids,
            &p.types,
            &p.schema_versions,
            &p.recorded_at,
            &p.data,
            &p.metadata,
            &p.tails
        ))
        .fetch_all(exec)
        .await
    };
    match result {
        Ok(rows) if rows.is_empty() => Ok(Attempt::ExpectedMismatch),
        Ok(rows) => {
            let first_position = rows
                .iter()
                .map(|r| r.global_position)
                .min()
                .unwrap_or_default();
            let last_position = rows
                .iter()
                .map(|r| r.global_position)
                .max()
                .unwrap_or_default();
            let stream_version = rows
                .iter()
                .map(|r| r.stream_version)
                .max()
                .unwrap_or_default();
            Ok(Attempt::Appended(AppendOutcome {
                stream_version: stream_version as u64,
                first_position: first_position as u64,
                last_position: last_position as u64,
            }))
        }
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {
            match db.constraint() {
                Some(STREAM_VERSION_KEY) => Ok(Attempt::VersionTaken),
                Some(EVENT_ID_KEY) => Ok(Attempt::EventIdTaken),
                _ => Err(StoreError::Backend(db.to_string())),
            }
        }
        Err(e) => Err(backend(e)),
    }
}

/// After a failed attempt: if every event of the batch is already stored, in this stream, in
/// this order and with the same content, the append already happened and its outcome is
/// returned (an idempotent retry). If only some are, or they differ, the ids were reused:
/// `DuplicateEventId`. If none are, it is a plain version conflict.
pub(super) async fn resolve(
    conn: &mut PgConnection,
    keys: &dyn DataKeys,
    expected: ExpectedVersion,
    p: &Prepared,
) -> Result<AppendOutcome, StoreError> {
    let stored = rows::read_by_ids(conn, keys, &p.ids).await?;
    match match_stored(p, &stored)? {
        Some(outcome) => Ok(outcome),
        None => {
            let actual = rows::stream_version(conn, &p.stream).await?;
            Err(StoreError::Conflict {
                stream: p.stream.clone(),
                expected,
                actual,
            })
        }
    }
}

/// Given the stored events that carry any of the batch's ids (decrypted), tells an idempotent
/// retry (`Some(original outcome)`) from a reused id (`DuplicateEventId`) and from nothing
/// stored yet (`None`). Shared by both stores.
pub(super) fn match_stored(
    p: &Prepared,
    stored: &[RecordedEvent],
) -> Result<Option<AppendOutcome>, StoreError> {
    if stored.is_empty() {
        return Ok(None);
    }
    let by_id: HashMap<Uuid, &RecordedEvent> = stored.iter().map(|e| (e.event_id, e)).collect();
    let first_version = by_id.get(&p.ids[0]).map(|e| e.stream_version);
    for (i, id) in p.ids.iter().enumerate() {
        let same = match (by_id.get(id), first_version) {
            (Some(old), Some(v0)) => {
                old.stream_id == p.stream
                    && old.stream_version == v0 + i as u64
                    && same_content(p, i, old)
            }
            _ => false,
        };
        if !same {
            // Name an id that is actually stored: that is the one that was reused.
            let reused = p
                .ids
                .iter()
                .skip(i)
                .chain(p.ids.iter())
                .find(|id| by_id.contains_key(id))
                .copied()
                .unwrap_or(*id);
            return Err(StoreError::DuplicateEventId(reused));
        }
    }
    Ok(Some(AppendOutcome {
        stream_version: stored
            .iter()
            .map(|e| e.stream_version)
            .max()
            .unwrap_or_default(),
        first_position: stored
            .iter()
            .map(|e| e.global_position)
            .min()
            .unwrap_or_default(),
        last_position: stored
            .iter()
            .map(|e| e.global_position)
            .max()
            .unwrap_or_default(),
    }))
}

/// Compared through the canonical form, so a number stored as `1.0` and read back as `1` (or a
/// map in another order) is still the same event.
fn same_content(p: &Prepared, i: usize, old: &RecordedEvent) -> bool {
    let old_metadata = serde_json::to_value(&old.metadata).map(|v| canonical::canonical_json(&v));
    p.types[i] == old.event_type
        && i64::from(p.schema_versions[i]) == i64::from(old.schema_version)
        && p.recorded_at[i] == old.recorded_at
        && canonical::canonical_json(p.plain_data(i)) == canonical::canonical_json(&old.data)
        && old_metadata.ok() == Some(canonical::canonical_json(p.plain_metadata(i)))
}
