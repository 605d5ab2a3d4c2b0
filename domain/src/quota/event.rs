//! Events of a user's quota.

use serde::{Deserialize, Serialize};

use crate::event::DomainEvent;
use crate::ids::DocumentId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum QuotaEvent {
    /// A confirmed document's bytes are charged (trash still counts).
    QuotaReserved {
        document_id: DocumentId,
        size_bytes: u64,
    },
    /// A charge is given back: the document was purged, or its confirmation lost a race.
    QuotaReleased {
        document_id: DocumentId,
        size_bytes: u64,
    },
    /// An admin set the limit.
    QuotaLimitChanged { limit_bytes: u64 },
}

impl DomainEvent for QuotaEvent {}
