//! Pure quota decisions. The default limit is configuration, passed in.

use super::event::QuotaEvent;
use super::state::Quota;
use crate::ids::DocumentId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    #[error("storage quota exceeded: {used_bytes} of {limit_bytes} bytes used")]
    Exceeded { limit_bytes: u64, used_bytes: u64 },
}

/// Charges a document's bytes, or refuses when they would push usage past the limit.
pub fn reserve(
    quota: &Quota,
    document_id: DocumentId,
    size_bytes: u64,
    default_limit: u64,
) -> Result<Vec<QuotaEvent>, QuotaError> {
    if !quota.fits(size_bytes, default_limit) {
        return Err(QuotaError::Exceeded {
            limit_bytes: quota.limit_or(default_limit),
            used_bytes: quota.used,
        });
    }
    Ok(vec![QuotaEvent::QuotaReserved {
        document_id,
        size_bytes,
    }])
}

pub fn release(document_id: DocumentId, size_bytes: u64) -> Vec<QuotaEvent> {
    vec![QuotaEvent::QuotaReleased {
        document_id,
        size_bytes,
    }]
}

/// Sets the limit. Lowering it below the usage is allowed: nothing is deleted, new uploads are
/// refused until enough is purged.
pub fn change_limit(quota: &Quota, limit_bytes: u64) -> Vec<QuotaEvent> {
    if quota.limit == Some(limit_bytes) {
        return vec![];
    }
    vec![QuotaEvent::QuotaLimitChanged { limit_bytes }]
}
