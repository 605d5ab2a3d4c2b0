//! Reads from KurrentDB: a stream forward, `$all` forward from a checkpoint (system events left
//! out), and the checkpoint of a global position.

use domain::event::{Checkpoint, StreamId};
use domain::ports::{DataKeys, StoreError};
use domain::RecordedEvent;
use eventstore::{Client, Position, ReadAllOptions, ReadStreamOptions, StreamPosition};

use super::super::decode;
use super::mapping::{self, KurrentStored};

/// How far `checkpoint_of` looks around a position for the event whose prepare position it is.
const CHECKPOINT_SCAN: usize = 64;

/// Up to `max` DocuVault events of `stream` from `from_version` on, in stored form; empty when
/// the stream does not exist.
pub(super) async fn stream_raw(
    client: &Client,
    stream: &StreamId,
    from_version: u64,
    max: usize,
) -> Result<Vec<KurrentStored>, StoreError> {
    let options = ReadStreamOptions::default()
        .forwards()
        .position(mapping::read_from(from_version))
        .max_count(max);
    let mut read = match client.read_stream(stream.as_str(), &options).await {
        Ok(read) => read,
        Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
        Err(e) => return Err(mapping::backend("read stream", e)),
    };
    let mut out = Vec::new();
    loop {
        match read.next().await {
            Ok(Some(resolved)) => {
                if let Some(e) = mapping::stored(resolved.get_original_event())? {
                    out.push(e);
                }
            }
            Ok(None) => return Ok(out),
            Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(mapping::backend("read stream", e)),
        }
    }
}

/// [`stream_raw`] decrypted.
pub(super) async fn stream(
    client: &Client,
    keys: &dyn DataKeys,
    stream: &StreamId,
    from_version: u64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let raw = stream_raw(client, stream, from_version, usize::MAX).await?;
    decode::open_batch(keys, raw.into_iter().map(|e| e.event).collect()).await
}

/// Up to `limit` DocuVault events after `after` in `$all` order. KurrentDB's reads of `$all`
/// start *at* a position (inclusive) and return system events too; both are skipped here, so a
/// page is read again from the last position seen until `limit` events are collected or the log
/// ends.
pub(super) async fn all(
    client: &Client,
    keys: &dyn DataKeys,
    after: Checkpoint,
    limit: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut out = Vec::new();
    let mut from = after;
    while out.len() < limit {
        // One more than needed: the event at `from` itself comes back first.
        let page = (limit - out.len()).saturating_add(1);
        let options = ReadAllOptions::default()
            .forwards()
            .position(mapping::position_of(from))
            .max_count(page);
        let mut read = client
            .read_all(&options)
            .await
            .map_err(|e| mapping::backend("read $all", e))?;
        let (mut seen, mut last) = (0usize, from);
        while let Some(resolved) = read
            .next()
            .await
            .map_err(|e| mapping::backend("read $all", e))?
        {
            seen += 1;
            let e = resolved.get_original_event();
            let cp = mapping::checkpoint_of(e.position);
            if cp <= from {
                continue;
            }
            last = cp;
            if let Some(stored) = mapping::stored(e)? {
                out.push(stored.event);
                if out.len() == limit {
                    break;
                }
            }
        }
        if seen < page || last == from {
            break; // the end of the log
        }
        from = last;
    }
    decode::open_batch(keys, out).await
}

/// The checkpoint of the event whose prepare position (our global position) is `position`, if
/// it exists. For events KurrentDB commits implicitly (every gRPC append) the commit position
/// equals the prepare position and the first read finds it; for an event committed in a
/// transaction its commit position differs, so a bounded window around the position is
/// scanned in both directions.
pub(super) async fn checkpoint_of(
    client: &Client,
    position: u64,
) -> Result<Option<Checkpoint>, StoreError> {
    let at = Position {
        commit: position,
        prepare: position,
    };
    // Beyond the end of the log there is nothing to find (and no record to position a read at).
    let Some(head) = last_position(client).await? else {
        return Ok(None);
    };
    if position > head.commit.max(head.prepare) {
        return Ok(None);
    }
    for backwards in [false, true] {
        let options = ReadAllOptions::default().position(StreamPosition::Position(at));
        let options = if backwards {
            options.backwards()
        } else {
            options.forwards()
        }
        .max_count(CHECKPOINT_SCAN);
        let mut read = client
            .read_all(&options)
            .await
            .map_err(|e| mapping::backend("read $all", e))?;
        while let Some(resolved) = read
            .next()
            .await
            .map_err(|e| mapping::backend("read $all", e))?
        {
            let e = resolved.get_original_event();
            if e.position.prepare == position {
                return Ok(Some(mapping::checkpoint_of(e.position)));
            }
        }
    }
    Ok(None)
}

/// The position of the last record in `$all`, `None` for an empty log.
pub(super) async fn last_position(client: &Client) -> Result<Option<Position>, StoreError> {
    let options = ReadAllOptions::default()
        .position(StreamPosition::End)
        .max_count(1);
    let mut read = client
        .read_all(&options)
        .await
        .map_err(|e| mapping::backend("read $all", e))?;
    Ok(read
        .next()
        .await
        .map_err(|e| mapping::backend("read $all", e))?
        .map(|r| r.get_original_event().position))
}
