//! The quota's state: two numbers, so loading it stays cheap however many documents a user has.

use serde::{Deserialize, Serialize};

use super::event::QuotaEvent;
use crate::aggregate::Aggregate;

/// Serializable: handlers keep snapshots of it, since the stream grows with every upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// `None` until an admin sets one: the configured default applies.
    pub limit: Option<u64>,
    pub used: u64,
}

impl Quota {
    pub fn limit_or(&self, default_limit: u64) -> u64 {
        self.limit.unwrap_or(default_limit)
    }

    /// Whether `bytes` more would still fit.
    pub fn fits(&self, bytes: u64, default_limit: u64) -> bool {
        self.used
            .checked_add(bytes)
            .is_some_and(|total| total <= self.limit_or(default_limit))
    }
}

impl Aggregate for Quota {
    type Event = QuotaEvent;
    const CATEGORY: &'static str = "quota";

    fn evolve(mut self, event: &QuotaEvent) -> Self {
        match event {
            QuotaEvent::QuotaReserved { size_bytes, .. } => {
                self.used = self.used.saturating_add(*size_bytes)
            }
            QuotaEvent::QuotaReleased { size_bytes, .. } => {
                self.used = self.used.saturating_sub(*size_bytes)
            }
            QuotaEvent::QuotaLimitChanged { limit_bytes } => self.limit = Some(*limit_bytes),
        }
        self
    }
}
