//! `subscribe_all`: catch up with never-skip reads, then wait for a wake-up (local append or
//! NOTIFY) or the polling interval, whichever comes first, and read again.
//!
//! A wake-up means something committed, but it may not be readable yet: an older transaction
//! (possibly in another database of the cluster, whose commit sends us no NOTIFY) can still hold
//! it back. So an empty read right after a wake-up is retried after 5 ms, 10 ms, 20 ms, … up to
//! the polling interval, instead of waiting a whole interval.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use domain::event::Checkpoint;
use domain::ports::StoreError;
use domain::RecordedEvent;
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::watch;

use super::inner::Inner;
use super::rows;

/// The first retry after a wake-up that found nothing readable.
const FIRST_RETRY: Duration = Duration::from_millis(5);

struct State {
    inner: Arc<Inner>,
    after: Checkpoint,
    buffer: VecDeque<RecordedEvent>,
    wake: watch::Receiver<u64>,
    /// After an error, wait one polling interval before reading again (no hot retry loop).
    backoff: bool,
    /// The next short wait while a wake-up has not yet produced a readable event.
    retry: Option<Duration>,
}

pub(super) fn subscribe(
    inner: Arc<Inner>,
    after: Checkpoint,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let state = State {
        wake: inner.wake.subscribe(),
        inner,
        after,
        buffer: VecDeque::new(),
        backoff: false,
        retry: None,
    };
    futures::stream::unfold(state, |mut s| async move {
        s.inner.wake.listen(&s.inner.pool);
        loop {
            if let Some(event) = s.buffer.pop_front() {
                return Some((Ok(event), s));
            }
            if s.backoff {
                s.backoff = false;
                tokio::time::sleep(s.inner.options.poll_interval).await;
            }
            // Mark the current wake-ups as seen *before* reading, so one that arrives while
            // the read runs still ends the wait below.
            s.wake.borrow_and_update();
            match rows::read_all(
                &s.inner.pool,
                s.inner.keys.as_ref(),
                s.after,
                s.inner.options.batch_size,
            )
            .await
            {
                Ok(batch) if !batch.is_empty() => {
                    s.after = batch.last().map(|e| e.checkpoint).unwrap_or(s.after);
                    s.buffer.extend(batch);
                    s.retry = None;
                }
                Ok(_) => {
                    let poll = s.inner.options.poll_interval;
                    match tokio::time::timeout(s.retry.unwrap_or(poll), s.wake.changed()).await {
                        Ok(Ok(())) => s.retry = Some(FIRST_RETRY),
                        Err(_elapsed) => s.retry = s.retry.map(|d| d * 2).filter(|d| *d < poll),
                        Ok(Err(_closed)) => {
                            // The wake-up source is gone; keep polling rather than spin.
                            tokio::time::sleep(poll).await;
                        }
                    }
                }
                Err(e) => {
                    s.backoff = true;
                    return Some((Err(e), s));
                }
            }
        }
    })
    .boxed()
}
