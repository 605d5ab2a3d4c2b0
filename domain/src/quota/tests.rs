//! Given/when/then tests of the quota.

use super::decide;
use super::*;
use crate::ids::DocumentId;
use crate::testing::given;

const DEFAULT: u64 = 100;

#[test]
fn charges_fit_up_to_the_limit_exactly() {
    let d = DocumentId::new();
    let q = given::<Quota>([])
        .when(|q| decide::reserve(q, d, 100, DEFAULT))
        .then(vec![QuotaEvent::QuotaReserved {
            document_id: d,
            size_bytes: 100,
        }]);
    assert_eq!(q.used, 100);
    given::<Quota>([QuotaEvent::QuotaReserved {
        document_id: d,
        size_bytes: 100,
    }])
    .when(|q| decide::reserve(q, DocumentId::new(), 1, DEFAULT))
    .then_error(QuotaError::Exceeded {
        limit_bytes: 100,
        used_bytes: 100,
    });
}

#[test]
fn release_frees_and_the_limit_can_change() {
    let d = DocumentId::new();
    let events = [
        QuotaEvent::QuotaReserved {
            document_id: d,
            size_bytes: 80,
        },
        QuotaEvent::QuotaReleased {
            document_id: d,
            size_bytes: 80,
        },
        QuotaEvent::QuotaLimitChanged { limit_bytes: 10 },
    ];
    given::<Quota>(events.clone())
        .when(|q| decide::reserve(q, DocumentId::new(), 11, DEFAULT))
        .then_error(QuotaError::Exceeded {
            limit_bytes: 10,
            used_bytes: 0,
        });
    given::<Quota>(events)
        .when(|q| Ok::<_, QuotaError>(decide::change_limit(q, 10)))
        .then(vec![]);
}

#[test]
fn huge_sizes_do_not_overflow() {
    given::<Quota>([QuotaEvent::QuotaReserved {
        document_id: DocumentId::new(),
        size_bytes: 50,
    }])
    .when(|q| decide::reserve(q, DocumentId::new(), u64::MAX, u64::MAX))
    .then_error(QuotaError::Exceeded {
        limit_bytes: u64::MAX,
        used_bytes: 50,
    });
}
