//! The aggregate contract: state folded from its own stream's events by a pure `evolve`.

use crate::event::DomainEvent;

/// A consistency boundary with its own stream (`<CATEGORY>-<id>`).
///
/// Decisions are plain functions over the state, kept beside each aggregate:
/// `fn decide(&State, Command, facts…) -> Result<Vec<Event>, Error>`. They never perform I/O;
/// facts from outside (the time, a blob's size, a recipient's id) are passed in.
pub trait Aggregate: Default + Send + Sync + 'static {
    type Event: DomainEvent + Send + Sync;
    /// The stream category, e.g. `"user"` for streams `user-<uuid>`.
    const CATEGORY: &'static str;

    /// Folds one event into the state. Must be total: an event the aggregate emitted is never
    /// rejected here.
    fn evolve(self, event: &Self::Event) -> Self;
}
