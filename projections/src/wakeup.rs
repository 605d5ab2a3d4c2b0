//! Wake-ups from PostgreSQL notifications, shared by every waiter in the process: one
//! `LISTEN` connection feeds a counter that tasks wait on, with polling as the fallback.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A wake-up signal driven by `LISTEN` on some channels. Cloning shares the listener.
#[derive(Clone)]
pub struct Wakeup {
    rx: watch::Receiver<u64>,
    /// Only for [`Wakeup::polling_only`]: a sender nobody uses, kept so the channel stays open
    /// (a closed channel would make `changed()` return at once and turn waits into busy loops).
    _idle: Option<std::sync::Arc<watch::Sender<u64>>>,
}

/// Stops the listener task when dropped.
pub struct WakeupTask(JoinHandle<()>);

impl Drop for WakeupTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Wakeup {
    /// Starts listening on `channels`. Notifications lost while the connection is down are
    /// covered by the callers' polling; the listener reconnects on its own.
    pub fn listen(pool: &PgPool, channels: Vec<String>) -> (Self, WakeupTask) {
        let (tx, rx) = watch::channel(0u64);
        let pool = pool.clone();
        let task = tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match listen_until_error(&pool, &channels, &tx).await {
                    Ok(()) => return, // every waiter is gone
                    Err(e) => {
                        tracing::warn!(error = %e, "projection wake-up listener failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        (Self { rx, _idle: None }, WakeupTask(task))
    }

    /// A signal that never fires: callers fall back to polling alone.
    pub fn polling_only() -> Self {
        let (tx, rx) = watch::channel(0u64);
        Self {
            rx,
            _idle: Some(std::sync::Arc::new(tx)),
        }
    }

    /// Marks every notification so far as seen: call it *before* checking the condition you
    /// wait for, so a notification that arrives between the check and the wait is not lost.
    pub fn mark_seen(&mut self) {
        self.rx.borrow_and_update();
    }

    /// Waits until a notification arrives after the last `mark_seen`/`wait`, or `timeout`
    /// passes. Returns whether a notification woke it.
    pub async fn wait(&mut self, timeout: Duration) -> bool {
        let notified = matches!(
            tokio::time::timeout(timeout, self.rx.changed()).await,
            Ok(Ok(()))
        );
        // Consume everything seen so far, so a burst of notifications wakes us once.
        self.rx.borrow_and_update();
        notified
    }
}

async fn listen_until_error(
    pool: &PgPool,
    channels: &[String],
    tx: &watch::Sender<u64>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all(channels.iter().map(String::as_str))
        .await?;
    // Anything committed while we were connecting was not notified to us: wake everyone once.
    tx.send_modify(|n| *n += 1);
    loop {
        if tx.is_closed() {
            return Ok(());
        }
        // `try_recv` returns `None` when the connection dropped; `recv` would silently reconnect
        // and hide the gap, so we report it and let the waiters poll meanwhile.
        match listener.try_recv().await? {
            Some(_) => {
                tx.send_modify(|n| *n += 1);
            }
            None => {
                return Err(sqlx::Error::Protocol(
                    "notification connection closed".into(),
                ))
            }
        }
    }
}
