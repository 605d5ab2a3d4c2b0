//! `subscribe_all` on KurrentDB: catch up with batched `$all` reads (one key look-up per batch),
//! then follow a live `$all` subscription filtered to non-system event types; after an error,
//! back off and catch up again from the last delivered checkpoint.

use std::collections::VecDeque;
use std::sync::Arc;

use domain::event::Checkpoint;
use domain::ports::StoreError;
use domain::RecordedEvent;
use eventstore::{SubscribeToAllOptions, Subscription, SubscriptionFilter};
use futures::stream::{BoxStream, StreamExt};

use super::super::decode;
use super::mapping;
use super::read;
use super::Inner;

struct State {
    inner: Arc<Inner>,
    after: Checkpoint,
    buffer: VecDeque<RecordedEvent>,
    /// The live subscription, once caught up.
    live: Option<Subscription>,
    /// After an error, wait one retry interval before reading again (no hot retry loop).
    backoff: bool,
}

pub(super) fn subscribe(
    inner: Arc<Inner>,
    after: Checkpoint,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let state = State {
        inner,
        after,
        buffer: VecDeque::new(),
        live: None,
        backoff: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.buffer.pop_front() {
                s.after = event.checkpoint;
                return Some((Ok(event), s));
            }
            if s.backoff {
                s.backoff = false;
                tokio::time::sleep(s.inner.options.retry_interval).await;
            }
            let step = match s.live.as_mut() {
                None => catch_up(&mut s).await,
                Some(live) => next_live(&s.inner, live, s.after).await.map(|e| {
                    s.buffer.extend(e);
                }),
            };
            if let Err(e) = step {
                s.live = None;
                s.backoff = true;
                return Some((Err(e), s));
            }
        }
    })
    .boxed()
}

/// One batch of catch-up; a short batch means the reader is at the head, so the live
/// subscription starts from the last checkpoint (KurrentDB delivers what commits after it,
/// including anything that committed between the read and the subscription).
async fn catch_up(s: &mut State) -> Result<(), StoreError> {
    let batch_size = s.inner.options.batch_size;
    let batch = read::all(&s.inner.client, s.inner.keys.as_ref(), s.after, batch_size).await?;
    if batch.len() < batch_size {
        let options = SubscribeToAllOptions::default()
            .position(mapping::position_of(s.after))
            .filter(SubscriptionFilter::on_event_type().exclude_system_events());
        s.live = Some(s.inner.client.subscribe_to_all(&options).await);
    }
    s.buffer.extend(batch);
    Ok(())
}

/// The next live event after `after`, decrypted; `None` for one that is skipped (a system
/// event that passed the server-side filter, or one at or before the checkpoint).
async fn next_live(
    inner: &Inner,
    live: &mut Subscription,
    after: Checkpoint,
) -> Result<Option<RecordedEvent>, StoreError> {
    let resolved = live
        .next()
        .await
        .map_err(|e| mapping::backend("subscription to $all", e))?;
    let e = resolved.get_original_event();
    if mapping::checkpoint_of(e.position) <= after {
        return Ok(None);
    }
    let Some(stored) = mapping::stored(e)? else {
        return Ok(None);
    };
    Ok(decode::open_batch(inner.keys.as_ref(), vec![stored.event])
        .await?
        .pop())
}
