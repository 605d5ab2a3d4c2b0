//! The document-intelligence area's HTTP support: topic reads, error mapping, and the DTOs of
//! `routes::{topics, search, document_topics}`.

pub mod dto;
pub mod errors;
pub mod listing;
pub mod topics;

use crate::state::AppState;

/// Waits (bounded by the configured consistency wait) until the projections reflect `position`;
/// `false` when they did not catch up in time or nothing runs them.
pub async fn caught_up(state: &AppState, position: Option<u64>) -> bool {
    match (&state.waiter, position) {
        (_, None) => true,
        (Some(waiter), Some(pos)) => {
            let timeout = std::time::Duration::from_millis(state.config.consistency_wait_ms);
            waiter.wait_for(pos, timeout).await
        }
        (None, Some(_)) => false,
    }
}
