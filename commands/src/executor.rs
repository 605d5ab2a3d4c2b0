//! The command executor: load → decide → append(expected version) → retry on conflict.

use std::future::Future;

use domain::event::{ExpectedVersion, NewEvent, StreamId};
use domain::ports::StoreError;
use domain::{Aggregate, RecordedEvent};
use uuid::Uuid;

use crate::context::CommandContext;
use crate::error::CommandError;

/// How many times a decision is retried after a concurrency conflict before answering `Conflict`.
pub const MAX_ATTEMPTS: usize = 8;

/// An aggregate's state as folded from its stream, and the version it was folded at.
#[derive(Debug)]
pub struct Loaded<A> {
    pub state: A,
    /// 0 when the stream does not exist.
    pub version: u64,
}

/// Loads an aggregate by folding its stream.
pub async fn load<A: Aggregate>(ctx: &CommandContext, id: Uuid) -> Result<Loaded<A>, StoreError> {
    let stream = StreamId::new(A::CATEGORY, id);
    let events = ctx.store.read_stream(&stream, 1).await?;
    fold::<A>(&events)
        .map_err(|e| StoreError::Backend(format!("undecodable event in {stream}: {e}")))
}

fn fold<A: Aggregate>(events: &[RecordedEvent]) -> Result<Loaded<A>, serde_json::Error> {
    let mut state = A::default();
    let mut version = 0;
    for e in events {
        let event: A::Event = e.decode()?;
        state = state.evolve(&event);
        version = e.stream_version;
    }
    Ok(Loaded { state, version })
}

/// What a successful command produced.
#[derive(Debug)]
pub struct Executed<A, T> {
    /// The state after the new events.
    pub state: A,
    /// The decision's own output (e.g. a generated id), besides its events.
    pub output: T,
    /// Global position of the last appended event: the consistency token. `None` when the
    /// decision produced no events (an idempotent no-op).
    pub position: Option<u64>,
}

/// Runs one decision against one aggregate with optimistic concurrency.
///
/// `decide` sees the current state and returns the events to append plus an output value; it is
/// re-run on a fresh state after a conflict, so it must be pure. `data_key` names whose key
/// encrypts personal data in these events (usually the owning user's id).
pub async fn execute<A, T, E, F>(
    ctx: &CommandContext,
    id: Uuid,
    data_key: Option<Uuid>,
    decide: F,
) -> Result<Executed<A, T>, CommandError<E>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<(Vec<A::Event>, T), E>,
{
    let started = std::time::Instant::now();
    let result = decide_and_append(ctx, id, data_key, decide).await;
    crate::metrics::command_executed(A::CATEGORY, result.as_ref().err(), started.elapsed());
    result
}

/// [`execute`] starting from a state the caller has just loaded (and decided on already, e.g.
/// to check a request before another stream's step): the first attempt appends against it with
/// no second read; a conflict reloads as usual.
pub async fn execute_loaded<A, T, E, F>(
    ctx: &CommandContext,
    id: Uuid,
    data_key: Option<Uuid>,
    loaded: Loaded<A>,
    decide: F,
) -> Result<Executed<A, T>, CommandError<E>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<(Vec<A::Event>, T), E>,
{
    let started = std::time::Instant::now();
    let stream = StreamId::new(A::CATEGORY, id);
    let mut first = Some(loaded);
    let load = || {
        let given = first.take();
        async move {
            match given {
                Some(loaded) => Ok(loaded),
                None => Ok(load::<A>(ctx, id).await?),
            }
        }
    };
    let result = retry_decision(ctx, &stream, MAX_ATTEMPTS, data_key, None, load, decide).await;
    crate::metrics::command_executed(A::CATEGORY, result.as_ref().err(), started.elapsed());
    result
}

async fn decide_and_append<A, T, E, F>(
    ctx: &CommandContext,
    id: Uuid,
    data_key: Option<Uuid>,
    decide: F,
) -> Result<Executed<A, T>, CommandError<E>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<(Vec<A::Event>, T), E>,
{
    let stream = StreamId::new(A::CATEGORY, id);
    let load = || async move { Ok(load::<A>(ctx, id).await?) };
    retry_decision(ctx, &stream, MAX_ATTEMPTS, data_key, None, load, decide).await
}

/// The loop every command runs: load the state (`load`), decide, append with the loaded version,
/// and on a concurrency conflict start again, up to `attempts` times. `event_id` derives each
/// event's id where a repeat must be recognised across retries, races and processes (the store
/// refuses a stored id twice, which is then answered as done, unchanged); without it each event
/// gets a fresh id.
pub(crate) async fn retry_decision<A, T, E, F, L, Fut>(
    ctx: &CommandContext,
    stream: &StreamId,
    attempts: usize,
    data_key: Option<Uuid>,
    event_id: Option<fn(&A::Event) -> Uuid>,
    mut load: L,
    mut decide: F,
) -> Result<Executed<A, T>, CommandError<E>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<(Vec<A::Event>, T), E>,
    L: FnMut() -> Fut,
    Fut: Future<Output = Result<Loaded<A>, CommandError<E>>>,
{
    for attempt in 1..=attempts {
        let loaded = load().await?;
        let (events, output) = decide(&loaded.state).map_err(CommandError::Domain)?;
        if events.is_empty() {
            return Ok(Executed {
                state: loaded.state,
                output,
                position: None,
            });
        }
        let now = ctx.clock.now();
        let metadata = ctx.metadata(data_key.is_some());
        let new_events: Vec<NewEvent> = events
            .iter()
            .map(|e| {
                let new = NewEvent::from_domain(e, metadata.clone(), data_key, now);
                match event_id {
                    Some(derive) => NewEvent {
                        event_id: derive(e),
                        ..new
                    },
                    None => new,
                }
            })
            .collect();
        match ctx
            .store
            .append(
                stream,
                ExpectedVersion::from_loaded(loaded.version),
                new_events,
            )
            .await
        {
            Ok(outcome) => {
                let state = events.iter().fold(loaded.state, |s, e| s.evolve(e));
                return Ok(Executed {
                    state,
                    output,
                    position: Some(outcome.last_position),
                });
            }
            Err(StoreError::Conflict { .. }) => {
                tracing::debug!(%stream, attempt, "append conflict, retrying decision");
                continue;
            }
            Err(StoreError::DuplicateEventId(_)) if event_id.is_some() => {
                return Ok(Executed {
                    state: loaded.state,
                    output,
                    position: None,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CommandError::Conflict)
}
