//! A given/when/then harness for decisions: given past events, when a command is decided, then
//! these events (or this error) result.

use std::fmt::Debug;

use crate::aggregate::Aggregate;

pub struct Given<A: Aggregate> {
    state: A,
}

/// Folds `events` into a fresh aggregate.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let state = events.into_iter().fold(A::default(), |s, e| s.evolve(&e));
    Given { state }
}

pub struct When<A: Aggregate, E> {
    state: A,
    result: Result<Vec<A::Event>, E>,
}

impl<A: Aggregate> Given<A> {
    pub fn when<E>(self, decide: impl FnOnce(&A) -> Result<Vec<A::Event>, E>) -> When<A, E> {
        let result = decide(&self.state);
        When {
            state: self.state,
            result,
        }
    }
}

impl<A: Aggregate, E: Debug + PartialEq> When<A, E>
where
    A::Event: Debug + PartialEq,
{
    /// Asserts the events and returns the state after them, for further checks.
    pub fn then(self, expected: Vec<A::Event>) -> A {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected);
                events.iter().fold(self.state, |s, e| s.evolve(e))
            }
            Err(e) => panic!("expected events {expected:?}, got error {e:?}"),
        }
    }

    pub fn then_error(self, expected: E) {
        match self.result {
            Ok(events) => panic!("expected error {expected:?}, got events {events:?}"),
            Err(e) => assert_eq!(e, expected),
        }
    }
}
