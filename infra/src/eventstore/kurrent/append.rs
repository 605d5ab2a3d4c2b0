//! The KurrentDB append: read the stream, recognise a retry, check the expected version, extend
//! the hash chain from the head, and append conditionally on that head.

use domain::event::{ExpectedVersion, NewEvent, StreamId};
use domain::ports::{AppendOutcome, DataKeys, StoreError};
use eventstore::{AppendToStreamOptions, Client, EventData};

use super::super::append::{self, Prepared};
use super::super::canonical::{self, GENESIS_HASH};
use super::super::decode;
use super::mapping::{self, KurrentStored};
use super::read;

/// How often an append re-reads the head after a concurrent writer moved it.
const MAX_ATTEMPTS: usize = 100;

pub(super) async fn append(
    client: &Client,
    keys: &dyn DataKeys,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome, StoreError> {
    let p = append::prepare(keys, stream, events).await?;
    for _ in 0..MAX_ATTEMPTS {
        let existing = read::stream_raw(client, stream, 1, usize::MAX).await?;
        if let Some(outcome) = already_stored(keys, &p, &existing).await? {
            return Ok(outcome);
        }
        let (head, head_hash) = existing
            .last()
            .map_or((0, GENESIS_HASH), |e| (e.event.stream_version, e.hash));
        mapping::check_expected(expected, head).map_err(|actual| StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        })?;
        let batch = chained(&p, head, head_hash)?;
        let options =
            AppendToStreamOptions::default().expected_revision(mapping::expected_revision(head));
        match client
            .append_to_stream(stream.as_str(), &options, batch)
            .await
        {
            Ok(_) => return appended(client, stream, head, p.ids.len()).await,
            // Another writer moved the head between our read and our append: read again. The
            // next round tells a concurrent identical retry, a conflict and an `Any` apart.
            Err(eventstore::Error::WrongExpectedVersion { .. }) => continue,
            Err(e) => return Err(mapping::store_error(stream, expected, "append", e)),
        }
    }
    Err(StoreError::Backend(format!(
        "KurrentDB append to {stream}: the head kept moving for {MAX_ATTEMPTS} attempts"
    )))
}

/// The batch as KurrentDB events, each with `hash = SHA-256(prev_hash || canonical bytes)`
/// continuing the chain from the head.
fn chained(p: &Prepared, head: u64, head_hash: [u8; 32]) -> Result<Vec<EventData>, StoreError> {
    let mut prev = head_hash;
    let mut out = Vec::with_capacity(p.ids.len());
    for (i, tail) in p.tails.iter().enumerate() {
        let hash = canonical::chain_hash(&prev, head + 1 + i as u64, tail);
        out.push(mapping::event_data(p, i, &hash)?);
        prev = hash;
    }
    Ok(out)
}

/// The batch's events as already stored in the stream: `Some(original outcome)` for an
/// idempotent retry, `DuplicateEventId` when an id is reused for something else. Ids reused in
/// *another* stream are not detected: KurrentDB has no index by event id.
async fn already_stored(
    keys: &dyn DataKeys,
    p: &Prepared,
    existing: &[KurrentStored],
) -> Result<Option<AppendOutcome>, StoreError> {
    let ours: Vec<_> = existing
        .iter()
        .filter(|e| p.ids.contains(&e.event.event_id))
        .map(|e| e.event.clone())
        .collect();
    if ours.is_empty() {
        return Ok(None);
    }
    let opened = decode::open_batch(keys, ours).await?;
    append::match_stored(p, &opened)
}

/// The outcome of a successful append: the positions of the events just written, read back
/// (KurrentDB's append answer carries one position for the whole write).
async fn appended(
    client: &Client,
    stream: &StreamId,
    head: u64,
    count: usize,
) -> Result<AppendOutcome, StoreError> {
    let written = read::stream_raw(client, stream, head + 1, count).await?;
    match (written.first(), written.last()) {
        (Some(first), Some(last)) if written.len() == count => Ok(AppendOutcome {
            stream_version: last.event.stream_version,
            first_position: first.event.global_position,
            last_position: last.event.global_position,
        }),
        _ => Err(StoreError::Backend(format!(
            "KurrentDB append to {stream}: the events written after version {head} could not be read back"
        ))),
    }
}
