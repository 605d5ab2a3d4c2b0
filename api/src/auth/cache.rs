//! A short-lived cache of each user's auth facts (role, active, not-before) for the extractors.
//!
//! Commands that change those facts write the new value here at once, so on this instance a
//! deactivation or a password change cuts off existing access tokens with the very next request.
//! Entries expire after a few seconds and are then reloaded from the `users` read model; an entry
//! written by a command is kept while the read model has not yet caught up with it (compared by
//! global position), so a lagging projection can never bring revoked access back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use commands::identity::AuthState;
use domain::ids::UserId;

struct Entry {
    state: AuthState,
    /// The global position this state reflects (0 when unknown).
    position: u64,
    fetched: Instant,
}

pub struct AuthCache {
    ttl: Duration,
    entries: Mutex<HashMap<UserId, Entry>>,
}

/// Above this many entries, expired ones are swept on insert.
const SWEEP_ABOVE: usize = 10_000;

impl AuthCache {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh entry, if any.
    pub fn get(&self, user: UserId) -> Option<AuthState> {
        let entries = self.entries.lock().expect("auth cache lock");
        entries
            .get(&user)
            .filter(|e| e.fetched.elapsed() < self.ttl)
            .map(|e| e.state)
    }

    /// Stores what a command just decided (`position` is its consistency token).
    pub fn put_from_command(&self, state: AuthState, position: Option<u64>) {
        self.insert(state, position.unwrap_or(0));
    }

    /// Stores what was loaded from the read model at `position` (the user's last applied event),
    /// unless a command already recorded something newer: then that is kept and refreshed.
    pub fn put_loaded(&self, state: AuthState, position: u64) -> AuthState {
        let mut entries = self.entries.lock().expect("auth cache lock");
        if let Some(e) = entries.get_mut(&state.user_id) {
            if e.position > position {
                e.fetched = Instant::now();
                return e.state;
            }
        }
        drop(entries);
        self.insert(state, position);
        state
    }

    fn insert(&self, state: AuthState, position: u64) {
        let mut entries = self.entries.lock().expect("auth cache lock");
        if entries.len() > SWEEP_ABOVE {
            let ttl = self.ttl;
            entries.retain(|_, e| e.fetched.elapsed() < ttl);
        }
        entries.insert(
            state.user_id,
            Entry {
                state,
                position,
                fetched: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::user::Role;

    fn state(active: bool) -> AuthState {
        AuthState {
            user_id: UserId(uuid::Uuid::from_u128(7)),
            role: Role::User,
            active,
            not_before: None,
        }
    }

    #[test]
    fn a_lagging_read_model_cannot_undo_a_command() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put_from_command(state(false), Some(50));
        // The projection has only reached position 40 for this user: still active there.
        assert!(!cache.put_loaded(state(true), 40).active);
        // Once it reflects the deactivation (or anything later), it wins.
        assert!(cache.put_loaded(state(true), 60).active);
    }

    #[test]
    fn entries_expire() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put_from_command(state(true), None);
        assert_eq!(cache.get(state(true).user_id), None);
        let cache = AuthCache::new(Duration::from_secs(60));
        cache.put_from_command(state(true), None);
        assert_eq!(cache.get(state(true).user_id), Some(state(true)));
    }
}
