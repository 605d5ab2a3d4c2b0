//! What every clone of one `PgEventStore` and its subscriptions share: the pool, the key ring,
//! the wake-up channel, the options ([`StoreOptions`]) and the group-commit combiner. In a file
//! of its own so that the store (`pg.rs`) and its subscriptions (`subscribe.rs`) both depend on
//! it and not on each other.

use std::sync::Arc;
use std::time::Duration;

use domain::ports::DataKeys;
use sqlx::PgPool;

use super::combine::Combiner;
use super::wake::Wake;

pub(super) struct Inner {
    pub(super) pool: PgPool,
    pub(super) keys: Arc<dyn DataKeys>,
    pub(super) wake: Wake,
    pub(super) options: StoreOptions,
    pub(super) combiner: Option<Combiner>,
}

/// Tuning knobs; the defaults suit production.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a subscriber waits for a wake-up before reading anyway (covers lost NOTIFYs and
    /// events held back by transactions that never notify).
    pub poll_interval: Duration,
    /// Events per read of a subscription's catch-up.
    pub batch_size: usize,
    /// How many group-commit rounds (statements carrying concurrent one-event appends to
    /// different streams, see `combine.rs`) may run at once; 0 appends every event on its own.
    pub append_leaders: usize,
    /// The most one-event appends one round puts into one statement.
    pub max_grouped: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            batch_size: 1_000,
            append_leaders: 4,
            max_grouped: 64,
        }
    }
}
