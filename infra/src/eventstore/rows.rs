//! Reading events back: the SQL of every read, and the decoding of rows into `RecordedEvent`
//! (through the shared [`decode`](super::decode)) or into stored-form `RawEvent`s.

use chrono::{DateTime, Utc};
use domain::event::{Checkpoint, StreamId};
use domain::ports::{DataKeys, StoreError};
use domain::RecordedEvent;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::decode::{self, StoredEvent};

/// `select` of the columns every decoded read, then `$rest` (from `from events` on), as a
/// compile-checked `query_as!` into `$row` ([`EventRow`], or [`RawEvent`] with `, hash` first in
/// `$rest`). The transaction id is converted under its own name: aliasing the text as `tx_id`
/// would make `order by tx_id` sort the text, not the index column.
macro_rules! select_events {
    ($row:ident, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $row,
            "select global_position, tx_id::text as \"tx_text!\", event_id, stream_id, \
             stream_version, event_type, schema_version, recorded_at, data, metadata"
                + $rest
            $(, $arg)*
        )
    };
}

pub(super) struct EventRow {
    global_position: i64,
    tx_text: String,
    event_id: Uuid,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    data: Value,
    metadata: Value,
}

/// An event exactly as stored: personal data still sealed, with its chain hash. For the audit
/// tools and benchmarks; applications read `RecordedEvent`s.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub global_position: i64,
    pub tx_text: String,
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub recorded_at: DateTime<Utc>,
    pub data: Value,
    pub metadata: Value,
    pub hash: Vec<u8>,
}

/// The never-skip read. An event is only returned once its transaction id is below the xmin of
/// the reader's snapshot, i.e. once every transaction that could still commit an event ordered
/// before it has ended; the order is `(tx_id, global_position)`, and both the bound and the
/// keyset condition are conditions on the `events_tx_position_idx` index.
pub(super) async fn read_all<'e, E>(
    exec: E,
    keys: &dyn DataKeys,
    after: Checkpoint,
    limit: usize,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let rows = select_events!(
        EventRow,
        " from events \
         where (tx_id, global_position) > ($1::text::xid8, $2) \
           and tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by tx_id, global_position \
         limit $3",
        after.tx.to_string(),
        i64::try_from(after.pos).unwrap_or(i64::MAX),
        i64::try_from(limit).unwrap_or(i64::MAX)
    )
    .fetch_all(exec)
    .await
    .map_err(backend)?;
    decode(keys, rows).await
}

pub(super) async fn read_stream<'e, E>(
    exec: E,
    keys: &dyn DataKeys,
    stream: &StreamId,
    from_version: u64,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let rows = select_events!(
        EventRow,
        " from events where stream_id = $1 and stream_version >= $2 order by stream_version",
        stream.as_str(),
        i64::try_from(from_version).unwrap_or(i64::MAX)
    )
    .fetch_all(exec)
    .await
    .map_err(backend)?;
    decode(keys, rows).await
}

pub(super) async fn read_by_ids(
    conn: &mut PgConnection,
    keys: &dyn DataKeys,
    ids: &[Uuid],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let rows = select_events!(
        EventRow,
        " from events where event_id = any($1) order by stream_id, stream_version",
        ids
    )
    .fetch_all(conn)
    .await
    .map_err(backend)?;
    decode(keys, rows).await
}

/// The events at the given global positions (those that exist), decrypted, in position order:
/// the audit API reads the entries its index selected this way.
pub async fn read_positions<'e, E>(
    exec: E,
    keys: &dyn DataKeys,
    positions: &[i64],
) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let rows = select_events!(
        EventRow,
        " from events where global_position = any($1) order by global_position",
        positions
    )
    .fetch_all(exec)
    .await
    .map_err(backend)?;
    decode(keys, rows).await
}

pub(super) async fn stream_version(
    conn: &mut PgConnection,
    stream: &StreamId,
) -> Result<u64, StoreError> {
    let v = sqlx::query_scalar!(
        "select coalesce(max(stream_version), 0)::int8 as \"version!\" from events \
         where stream_id = $1",
        stream.as_str()
    )
    .fetch_one(conn)
    .await
    .map_err(backend)?;
    Ok(v as u64)
}

pub(super) async fn read_raw<'e, E>(
    exec: E,
    after_position: u64,
    limit: usize,
) -> Result<Vec<RawEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    select_events!(
        RawEvent,
        ", hash from events where global_position > $1 order by global_position limit $2",
        i64::try_from(after_position).unwrap_or(i64::MAX),
        i64::try_from(limit).unwrap_or(i64::MAX)
    )
    .fetch_all(exec)
    .await
    .map_err(backend)
}

pub(super) fn parse_tx(text: &str) -> Result<u64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Backend(format!("unexpected transaction id `{text}`")))
}

/// Decodes a batch of rows (see [`decode::open_batch`]).
async fn decode(
    keys: &dyn DataKeys,
    rows: Vec<EventRow>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let stored = rows
        .into_iter()
        .map(|r| {
            Ok(StoredEvent {
                checkpoint: Checkpoint {
                    tx: parse_tx(&r.tx_text)?,
                    pos: r.global_position as u64,
                },
                event_id: r.event_id,
                stream_id: r.stream_id,
                stream_version: r.stream_version as u64,
                global_position: r.global_position as u64,
                event_type: r.event_type,
                schema_version: r.schema_version as u32,
                recorded_at: r.recorded_at,
                data: r.data,
                metadata: r.metadata,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    decode::open_batch(keys, stored).await
}

/// A database failure as the port reports it.
pub(super) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}
