//! Given/when/then tests of the document decisions.

use chrono::{Duration, TimeZone, Utc};

use super::decide::{self, RequestUpload, StoredObject};
use super::*;
use crate::ids::{DocumentId, FolderId, ShareId, UserId};
use crate::name::{ByteSize, FileName};
use crate::personal::Personal;
use crate::storage::Storage;
use crate::testing::given;

fn given_state(events: impl IntoIterator<Item = DocumentEvent>) -> Document {
    events
        .into_iter()
        .fold(Document::default(), |s, e| crate::Aggregate::evolve(s, &e))
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

struct World {
    owner: UserId,
    other: UserId,
    doc: DocumentId,
}

fn world() -> World {
    World {
        owner: UserId::new(),
        other: UserId::new(),
        doc: DocumentId::new(),
    }
}

fn requested(w: &World) -> DocumentEvent {
    DocumentEvent::DocumentUploadRequested {
        document_id: w.doc,
        owner_id: w.owner,
        filename: Personal::new("report.pdf".into()),
        declared_content_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: None,
        folder_id: None,
        expires_at: t0() + Duration::minutes(15),
        storage: Storage::Local,
    }
}

fn uploaded() -> DocumentEvent {
    DocumentEvent::DocumentUploaded {
        content_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: Some("ab".repeat(32)),
    }
}

fn stored(size: u64) -> StoredObject {
    StoredObject {
        size,
        sha256: Some("ab".repeat(32)),
        content_type: "application/pdf".into(),
    }
}

#[test]
fn an_upload_is_requested_once() {
    let w = world();
    let cmd = RequestUpload {
        document_id: w.doc,
        owner: w.owner,
        filename: FileName::parse("report.pdf").unwrap(),
        declared_content_type: "application/pdf".into(),
        size: ByteSize(10),
        sha256: None,
        folder_id: None,
        expires_at: t0() + Duration::minutes(15),
        storage: Storage::Local,
    };
    given::<Document>([])
        .when(|s| decide::request_upload(s, cmd.clone()))
        .then(vec![requested(&w)]);
    given::<Document>([requested(&w)])
        .when(|s| decide::request_upload(s, cmd))
        .then_error(DocumentError::AlreadyExists);
}

#[test]
fn confirmation_checks_presence_size_checksum_and_time() {
    let w = world();
    given::<Document>([requested(&w)])
        .when(|s| decide::confirm_upload(s, w.owner, Some(&stored(10)), t0()))
        .then(vec![uploaded()]);
    given::<Document>([requested(&w)])
        .when(|s| decide::confirm_upload(s, w.owner, None, t0()))
        .then_error(DocumentError::UploadRejected(RejectReason::ObjectMissing));
    given::<Document>([requested(&w)])
        .when(|s| decide::confirm_upload(s, w.owner, Some(&stored(11)), t0()))
        .then_error(DocumentError::UploadRejected(RejectReason::SizeMismatch));
    given::<Document>([requested(&w)])
        .when(|s| decide::confirm_upload(s, w.owner, Some(&stored(10)), t0() + Duration::hours(1)))
        .then_error(DocumentError::UploadExpired);
    // Another user cannot even learn that the upload exists.
    given::<Document>([requested(&w)])
        .when(|s| decide::confirm_upload(s, w.other, Some(&stored(10)), t0()))
        .then_error(DocumentError::NotFound);
}

#[test]
fn a_declared_checksum_must_match() {
    let w = world();
    let mut req = requested(&w);
    if let DocumentEvent::DocumentUploadRequested { sha256, .. } = &mut req {
        *sha256 = Some("cd".repeat(32));
    }
    given::<Document>([req])
        .when(|s| decide::confirm_upload(s, w.owner, Some(&stored(10)), t0()))
        .then_error(DocumentError::UploadRejected(
            RejectReason::ChecksumMismatch,
        ));
}

#[test]
fn confirming_twice_is_a_no_op_and_rejection_is_terminal() {
    let w = world();
    given::<Document>([requested(&w), uploaded()])
        .when(|s| decide::confirm_upload(s, w.owner, Some(&stored(10)), t0()))
        .then(vec![]);
    let s = given::<Document>([requested(&w)])
        .when(|s| decide::reject_upload(s, RejectReason::SizeMismatch))
        .then(vec![DocumentEvent::DocumentUploadRejected {
            reason: RejectReason::SizeMismatch,
        }]);
    assert_eq!(s.access(w.owner), Access::None);
}

#[test]
fn abandoned_uploads_expire_only_after_their_deadline() {
    let w = world();
    given::<Document>([requested(&w)])
        .when(|s| decide::expire_upload(s, t0()))
        .then(vec![]);
    given::<Document>([requested(&w)])
        .when(|s| decide::expire_upload(s, t0() + Duration::minutes(16)))
        .then(vec![DocumentEvent::DocumentUploadExpired {}]);
    given::<Document>([requested(&w), uploaded()])
        .when(|s| decide::expire_upload(s, t0() + Duration::days(1)))
        .then(vec![]);
}

#[test]
fn rename_move_trash_restore_purge() {
    let w = world();
    let folder = FolderId::new();
    let active = || [requested(&w), uploaded()];
    given::<Document>(active())
        .when(|s| decide::rename(s, w.owner, FileName::parse("new.pdf").unwrap()))
        .then(vec![DocumentEvent::DocumentRenamed {
            filename: Personal::new("new.pdf".into()),
        }]);
    given::<Document>(active())
        .when(|s| decide::rename(s, w.owner, FileName::parse("report.pdf").unwrap()))
        .then(vec![]);
    given::<Document>(active())
        .when(|s| decide::move_to(s, w.owner, Some(folder)))
        .then(vec![DocumentEvent::DocumentMoved {
            folder_id: Some(folder),
        }]);
    let trashed = DocumentEvent::DocumentTrashed { trashed_at: t0() };
    given::<Document>(active())
        .when(|s| decide::trash(s, w.owner, t0()))
        .then(vec![trashed.clone()]);
    given::<Document>([requested(&w), uploaded(), trashed.clone()])
        .when(|s| decide::rename(s, w.owner, FileName::parse("x").unwrap()))
        .then_error(DocumentError::Trashed);
    let moved = DocumentEvent::DocumentMoved {
        folder_id: Some(folder),
    };
    given::<Document>([requested(&w), uploaded(), moved.clone(), trashed.clone()])
        .when(|s| decide::restore(s, w.owner, true))
        .then(vec![DocumentEvent::DocumentRestored {
            folder_id: Some(folder),
        }]);
    given::<Document>([requested(&w), uploaded(), moved, trashed.clone()])
        .when(|s| decide::restore(s, w.owner, false))
        .then(vec![DocumentEvent::DocumentRestored { folder_id: None }]);
    given::<Document>(active())
        .when(|s| decide::purge(s, w.owner))
        .then_error(DocumentError::NotTrashed);
    let s = given::<Document>([requested(&w), uploaded(), trashed])
        .when(|s| decide::purge(s, w.owner))
        .then(vec![DocumentEvent::DocumentPurged { size_bytes: 10 }]);
    assert_eq!(s.access(w.owner), Access::None);
}

#[test]
fn auto_purge_waits_for_the_retention_period() {
    let w = world();
    let events = || {
        [
            requested(&w),
            uploaded(),
            DocumentEvent::DocumentTrashed { trashed_at: t0() },
        ]
    };
    given::<Document>(events())
        .when(|s| decide::auto_purge(s, t0() + Duration::days(29), Duration::days(30)))
        .then(vec![]);
    given::<Document>(events())
        .when(|s| decide::auto_purge(s, t0() + Duration::days(30), Duration::days(30)))
        .then(vec![DocumentEvent::DocumentPurged { size_bytes: 10 }]);
}

#[test]
fn shares_grant_exactly_what_they_say() {
    let w = world();
    let share_id = ShareId::new();
    let shared = |permission| DocumentEvent::DocumentShared {
        share_id,
        recipient_id: w.other,
        permission,
    };
    given::<Document>([requested(&w), uploaded()])
        .when(|s| decide::share(s, w.owner, share_id, w.other, Permission::View))
        .then(vec![shared(Permission::View)]);
    given::<Document>([requested(&w), uploaded()])
        .when(|s| decide::share(s, w.owner, share_id, w.owner, Permission::View))
        .then_error(DocumentError::ShareWithSelf);
    given::<Document>([requested(&w), uploaded(), shared(Permission::View)])
        .when(|s| decide::share(s, w.owner, ShareId::new(), w.other, Permission::View))
        .then_error(DocumentError::AlreadyShared);
    // A viewer may read metadata but not the bytes, and may not act as the owner.
    let viewer = || [requested(&w), uploaded(), shared(Permission::View)];
    assert_eq!(
        decide::download(&given_state(viewer()), w.other),
        Err(DocumentError::DownloadNotPermitted)
    );
    given::<Document>(viewer())
        .when(|s| decide::rename(s, w.other, FileName::parse("x").unwrap()))
        .then_error(DocumentError::OwnerOnly);
    given::<Document>(viewer())
        .when(|s| decide::share(s, w.other, ShareId::new(), UserId::new(), Permission::View))
        .then_error(DocumentError::OwnerOnly);
    given::<Document>(viewer())
        .when(|s| decide::trash(s, w.other, t0()))
        .then_error(DocumentError::OwnerOnly);
    assert_eq!(
        decide::download(
            &given_state([requested(&w), uploaded(), shared(Permission::Download)]),
            w.other
        ),
        Ok(DocumentReadEvent::DocumentDownloaded { by: w.other })
    );
    // Revocation and trashing take effect at once.
    let s = given::<Document>(viewer())
        .when(|s| decide::revoke(s, w.owner, share_id))
        .then(vec![DocumentEvent::ShareRevoked {
            share_id,
            recipient_id: w.other,
        }]);
    assert_eq!(s.access(w.other), Access::None);
    let s = given::<Document>([requested(&w), uploaded(), shared(Permission::Download)])
        .when(|s| decide::trash(s, w.owner, t0()))
        .then(vec![DocumentEvent::DocumentTrashed { trashed_at: t0() }]);
    assert_eq!(s.access(w.other), Access::None);
    given::<Document>([requested(&w), uploaded()])
        .when(|s| decide::revoke(s, w.owner, share_id))
        .then_error(DocumentError::ShareNotFound);
    // A stranger gets nothing.
    assert_eq!(
        decide::download(&given_state([requested(&w), uploaded()]), UserId::new()),
        Err(DocumentError::NotFound)
    );
}

#[test]
fn the_number_of_recipients_is_bounded() {
    let w = world();
    let mut events = vec![requested(&w), uploaded()];
    for _ in 0..MAX_SHARES_PER_DOCUMENT {
        events.push(DocumentEvent::DocumentShared {
            share_id: ShareId::new(),
            recipient_id: UserId::new(),
            permission: Permission::View,
        });
    }
    given::<Document>(events)
        .when(|s| decide::share(s, w.owner, ShareId::new(), w.other, Permission::View))
        .then_error(DocumentError::TooManyShares(MAX_SHARES_PER_DOCUMENT));
}

#[test]
fn events_round_trip_through_their_stored_form() {
    let w = world();
    for e in [
        requested(&w),
        uploaded(),
        DocumentEvent::DocumentUploadExpired {},
    ] {
        let (ty, data) = crate::event::encode_event(&e);
        let back: DocumentEvent = crate::event::decode_event(&ty, 1, &data).unwrap();
        assert_eq!(back, e);
    }
    let (ty, data) = crate::event::encode_event(&requested(&w));
    assert_eq!(ty, "DocumentUploadRequested");
    assert_eq!(data["filename"], serde_json::json!({"$pii": "report.pdf"}));
}
