//! Reads from KurrentDB: a stream forward, `$all` forward from a checkpoint (system events left
//! out), the checkpoint of a global position, events by global position, and the sealed
//! stream-by-stream walk of `audit verify`.

use domain::event::{Checkpoint, StreamId};
use domain::ports::{ChainLink, DataKeys, SealedEvent, StoreError};
use domain::RecordedEvent;
use eventstore::{Client, Position, ReadAllOptions, ReadStreamOptions, StreamPosition};
use futures::stream::{self, BoxStream, StreamExt};

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

/// A stored event as the port's sealed form.
pub(super) fn sealed(e: KurrentStored) -> SealedEvent {
    SealedEvent {
        global_position: e.event.global_position,
        stream_id: e.event.stream_id,
        stream_version: e.event.stream_version,
        event_id: e.event.event_id,
        event_type: e.event.event_type,
        schema_version: e.event.schema_version,
        recorded_at: e.event.recorded_at,
        data: e.event.data,
        metadata: e.event.metadata,
        hash: e.hash.to_vec(),
    }
}

/// The DocuVault event whose prepare position (our global position) is `position`, in stored
/// form: its checkpoint is found first (see [`checkpoint_of`]), then `$all` is read there.
pub(super) async fn raw_at(
    client: &Client,
    position: u64,
) -> Result<Option<KurrentStored>, StoreError> {
    let Some(cp) = checkpoint_of(client, position).await? else {
        return Ok(None);
    };
    let options = ReadAllOptions::default()
        .forwards()
        .position(mapping::position_of(cp))
        .max_count(1);
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
            return mapping::stored(e);
        }
    }
    Ok(None)
}

/// The events at `positions` (those that exist), in position order, one look-up each.
pub(super) async fn raw_positions(
    client: &Client,
    positions: &[u64],
) -> Result<Vec<KurrentStored>, StoreError> {
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len());
    for p in sorted {
        out.extend(raw_at(client, p).await?);
    }
    Ok(out)
}

/// The chain links of the events at `positions`: each event and the stored hash of its
/// stream's previous version.
pub(super) async fn chain_links(
    client: &Client,
    positions: &[u64],
) -> Result<Vec<ChainLink>, StoreError> {
    let mut out = Vec::new();
    for e in raw_positions(client, positions).await? {
        let prev_hash = match e.event.stream_version {
            0 | 1 => None,
            v => {
                let stream = StreamId::from_raw(e.event.stream_id.clone());
                stream_raw(client, &stream, v - 1, 1)
                    .await?
                    .into_iter()
                    .find(|p| p.event.stream_version == v - 1)
                    .map(|p| p.hash.to_vec())
            }
        };
        out.push(ChainLink {
            event: sealed(e),
            prev_hash,
        });
    }
    Ok(out)
}

/// Every DocuVault stream's id, in id order: `$all` is scanned once (KurrentDB has no ordered
/// stream listing without its system projections); only the names are kept.
async fn stream_ids(client: &Client) -> Result<Vec<String>, StoreError> {
    let options = ReadAllOptions::default()
        .forwards()
        .position(StreamPosition::Start)
        .max_count(usize::MAX);
    let mut read = client
        .read_all(&options)
        .await
        .map_err(|e| mapping::backend("read $all", e))?;
    let mut ids = std::collections::BTreeSet::new();
    while let Some(resolved) = read
        .next()
        .await
        .map_err(|e| mapping::backend("read $all", e))?
    {
        let e = resolved.get_original_event();
        if !mapping::is_system(&e.stream_id, &e.event_type) && !ids.contains(&e.stream_id) {
            ids.insert(e.stream_id.clone());
        }
    }
    Ok(ids.into_iter().collect())
}

/// Events per stream read of the sealed walk.
const WALK_PAGE: usize = 2_000;

/// Every DocuVault event in sealed form, stream by stream in id order, each in version order.
pub(super) fn sealed_streams(
    client: Client,
) -> BoxStream<'static, Result<SealedEvent, StoreError>> {
    // State: the streams still to walk (`None` until listed) and where the current one stands.
    struct Walk {
        client: Client,
        streams: Option<std::vec::IntoIter<String>>,
        current: Option<(StreamId, u64)>,
        done: bool,
    }
    let start = Walk {
        client,
        streams: None,
        current: None,
        done: false,
    };
    stream::unfold(start, |mut w| async move {
        if w.done {
            return None;
        }
        let result: Result<Vec<SealedEvent>, StoreError> = async {
            if w.streams.is_none() {
                w.streams = Some(stream_ids(&w.client).await?.into_iter());
            }
            loop {
                let (stream, from) = match w.current.take() {
                    Some(c) => c,
                    None => match w.streams.as_mut().and_then(Iterator::next) {
                        Some(id) => (StreamId::from_raw(id), 1),
                        None => return Ok(Vec::new()),
                    },
                };
                let page = stream_raw(&w.client, &stream, from, WALK_PAGE).await?;
                if page.len() == WALK_PAGE {
                    let next = page.last().map_or(from, |e| e.event.stream_version + 1);
                    w.current = Some((stream, next));
                }
                if !page.is_empty() {
                    return Ok(page.into_iter().map(sealed).collect());
                }
            }
        }
        .await;
        match result {
            Ok(page) if page.is_empty() => None,
            Ok(page) => Some((
                stream::iter(page.into_iter().map(Ok).collect::<Vec<_>>()),
                w,
            )),
            Err(e) => {
                w.done = true;
                Some((stream::iter(vec![Err(e)]), w))
            }
        }
    })
    .flatten()
    .boxed()
}
