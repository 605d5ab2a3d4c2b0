//! Uniqueness by reservation streams: an email or a handle is claimed by appending to its own
//! stream with `ExpectedVersion::NoStream`, so of two concurrent registrations exactly one wins.
//!
//! The stream id is a keyed hash of the normalised value (computed by the command layer), so the
//! log's stream names do not spell out anyone's email address.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::event::DomainEvent;
use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ReservationEvent {
    Reserved {
        user_id: UserId,
    },
    /// Undoes a reservation whose registration did not complete (e.g. the handle was taken).
    Released {
        user_id: UserId,
    },
}

impl DomainEvent for ReservationEvent {}

/// What is being reserved; gives the stream category.
pub trait ReservationKind: Default + Send + Sync + 'static {
    const CATEGORY: &'static str;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct EmailKind;
impl ReservationKind for EmailKind {
    const CATEGORY: &'static str = "email";
}

#[derive(Debug, Default, Clone, Copy)]
pub struct HandleKind;
impl ReservationKind for HandleKind {
    const CATEGORY: &'static str = "handle";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation<K> {
    pub holder: Option<UserId>,
    _kind: PhantomData<K>,
}

impl<K> Default for Reservation<K> {
    fn default() -> Self {
        Self {
            holder: None,
            _kind: PhantomData,
        }
    }
}

pub type EmailReservation = Reservation<EmailKind>;
pub type HandleReservation = Reservation<HandleKind>;

impl<K: ReservationKind> Aggregate for Reservation<K> {
    type Event = ReservationEvent;
    const CATEGORY: &'static str = K::CATEGORY;

    fn evolve(mut self, event: &ReservationEvent) -> Self {
        match event {
            ReservationEvent::Reserved { user_id } => self.holder = Some(*user_id),
            ReservationEvent::Released { user_id } => {
                if self.holder == Some(*user_id) {
                    self.holder = None;
                }
            }
        }
        self
    }
}

/// The value is held by another user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("already taken")]
pub struct Taken;

/// Claims the value for `user_id`; claiming it again for the same user is a no-op.
pub fn reserve<K>(state: &Reservation<K>, user_id: UserId) -> Result<Vec<ReservationEvent>, Taken> {
    match state.holder {
        Some(holder) if holder == user_id => Ok(vec![]),
        Some(_) => Err(Taken),
        None => Ok(vec![ReservationEvent::Reserved { user_id }]),
    }
}

/// Gives the value up if `user_id` holds it.
pub fn release<K>(state: &Reservation<K>, user_id: UserId) -> Vec<ReservationEvent> {
    if state.holder == Some(user_id) {
        vec![ReservationEvent::Released { user_id }]
    } else {
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(events: &[ReservationEvent]) -> EmailReservation {
        events
            .iter()
            .fold(EmailReservation::default(), |s, e| s.evolve(e))
    }

    #[test]
    fn first_claim_wins_and_release_frees() {
        let (a, b) = (UserId::new(), UserId::new());
        let free = fold(&[]);
        assert_eq!(
            reserve(&free, a),
            Ok(vec![ReservationEvent::Reserved { user_id: a }])
        );
        let held = fold(&[ReservationEvent::Reserved { user_id: a }]);
        assert_eq!(reserve(&held, b), Err(Taken));
        assert_eq!(reserve(&held, a), Ok(vec![]));
        assert_eq!(release(&held, b), vec![]);
        let released = fold(&[
            ReservationEvent::Reserved { user_id: a },
            ReservationEvent::Released { user_id: a },
        ]);
        assert_eq!(released.holder, None);
        assert!(reserve(&released, b).is_ok());
    }
}
