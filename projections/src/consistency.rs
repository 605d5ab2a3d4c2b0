//! Read-your-writes: wait (bounded) until named projections have applied the event at a given
//! global position, whether their leaders run in this process or in another one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::ports::EventStore;
use domain::Checkpoint;
use sqlx::PgPool;
use tokio::time::Instant;

use crate::checkpoint::CHECKPOINT_CHANNEL;
use crate::error::RuntimeError;
use crate::wakeup::{Wakeup, WakeupTask};

/// Waits for projections to reach the event behind an `X-Consistency-Token`.
///
/// One per process, shared by all requests: it holds one `LISTEN` connection on the checkpoint
/// channel (every checkpoint move notifies it) and re-checks the checkpoint table on each
/// notification, polling as a fallback.
#[derive(Clone)]
pub struct ConsistencyWaiter {
    pool: PgPool,
    store: Arc<dyn EventStore>,
    names: Arc<Vec<String>>,
    wake: Wakeup,
    poll: Duration,
    known: Arc<Mutex<Known>>,
    _listener: Option<Arc<WakeupTask>>,
}

/// What this process already knows, so that a token seen before costs no query: the read-order
/// checkpoint of recently asked positions (an event's checkpoint never changes) and the least
/// checkpoint every projection of `names` had reached when last looked at (checkpoints only move
/// forward: a rebuild swaps its tables in only after catching up past the old checkpoint).
#[derive(Default)]
struct Known {
    checkpoints: HashMap<u64, Checkpoint>,
    reached: Option<Checkpoint>,
}

/// Above this many remembered positions the map is cleared (a client repeats its latest token).
const REMEMBER_POSITIONS: usize = 4_096;

impl Known {
    fn already_reached(&self, position: u64) -> bool {
        match (self.checkpoints.get(&position), self.reached) {
            (Some(cp), Some(reached)) => *cp <= reached,
            _ => false,
        }
    }

    fn remember(&mut self, position: u64, cp: Checkpoint) {
        if self.checkpoints.len() >= REMEMBER_POSITIONS {
            self.checkpoints.clear();
        }
        self.checkpoints.insert(position, cp);
    }

    fn raise(&mut self, reached: Checkpoint) {
        if self.reached.is_none_or(|r| r < reached) {
            self.reached = Some(reached);
        }
    }
}

impl ConsistencyWaiter {
    /// A waiter for `names`, woken by checkpoint notifications (fallback poll every 100 ms).
    pub fn new(pool: PgPool, store: Arc<dyn EventStore>, names: Vec<String>) -> Self {
        let (wake, task) = Wakeup::listen(&pool, vec![CHECKPOINT_CHANNEL.to_owned()]);
        Self {
            pool,
            store,
            names: Arc::new(names),
            wake,
            poll: Duration::from_millis(100),
            known: Arc::default(),
            _listener: Some(Arc::new(task)),
        }
    }

    /// A waiter that only polls the checkpoint table every `poll` (no `LISTEN` connection).
    pub fn polling(
        pool: PgPool,
        store: Arc<dyn EventStore>,
        names: Vec<String>,
        poll: Duration,
    ) -> Self {
        Self {
            pool,
            store,
            names: Arc::new(names),
            wake: Wakeup::polling_only(),
            poll,
            known: Arc::default(),
            _listener: None,
        }
    }

    /// The projections this waiter waits for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Waits until every projection of this waiter has applied the event at `position`, for at
    /// most `timeout`. `Ok(true)` once caught up; `Ok(false)` on timeout, when the position is
    /// unknown or not yet readable, or as soon as one of them is halted (it will not catch up).
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> Result<bool, RuntimeError> {
        if self.known().already_reached(position) {
            return Ok(true);
        }
        self.wait_for_names(&self.names, position, timeout).await
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`ConsistencyWaiter::wait_for`] for another set of projections.
    pub async fn wait_for_names(
        &self,
        names: &[String],
        position: u64,
        timeout: Duration,
    ) -> Result<bool, RuntimeError> {
        let deadline = Instant::now() + timeout;
        let Some(target) = self.target(position, deadline).await? else {
            return Ok(false);
        };
        self.known().remember(position, target);
        let mut wake = self.wake.clone();
        loop {
            wake.mark_seen();
            match self.reached(names, target).await? {
                Reached::Yes => return Ok(true),
                Reached::Never => return Ok(false),
                Reached::NotYet => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            wake.wait(left.min(self.poll)).await;
        }
    }

    /// The read-order checkpoint of `position`, once readable (a committed event can be held
    /// back briefly by an older transaction still in flight).
    async fn target(
        &self,
        position: u64,
        deadline: Instant,
    ) -> Result<Option<Checkpoint>, RuntimeError> {
        let mut pause = Duration::from_millis(2);
        loop {
            if let Some(cp) = self.store.checkpoint_of(position).await? {
                return Ok(Some(cp));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    async fn reached(&self, names: &[String], target: Checkpoint) -> Result<Reached, RuntimeError> {
        let rows = sqlx::query!(
            "select name, tx, pos, state from projection_checkpoints where name = any($1)",
            names
        )
        .fetch_all(&self.pool)
        .await?;
        let mut all = rows.len() == names.len();
        let mut least: Option<Checkpoint> = None;
        for row in &rows {
            let cp = Checkpoint {
                tx: row.tx.max(0) as u64,
                pos: row.pos.max(0) as u64,
            };
            least = Some(least.map_or(cp, |l| l.min(cp)));
            if cp < target {
                if row.state == "halted" {
                    return Ok(Reached::Never);
                }
                all = false;
            }
        }
        if let (true, Some(least)) = (
            rows.len() == self.names.len() && names == *self.names,
            least,
        ) {
            self.known().raise(least);
        }
        Ok(if all { Reached::Yes } else { Reached::NotYet })
    }
}

enum Reached {
    Yes,
    NotYet,
    Never,
}
