//! Handler tests against the in-memory doubles: the upload flow, rejection without charge, the
//! quota race, purge, the sweeper and recursive folder deletion.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use domain::blob::ObjectKey;
use domain::document::{DocumentError, RejectReason, Status};
use domain::ids::{DocumentId, FolderId, UserId};
use domain::ports::ManualClock;
use domain::quota::QuotaError;

use super::*;
use crate::context::{Actor, CommandContext};
use crate::error::CommandError;
use crate::testing::{MemoryBlobs, MemoryStore};

/// Document facts as the tests set them (shared with the erasure tests).
#[derive(Default)]
pub(crate) struct Facts {
    docs: Mutex<Vec<DocumentId>>,
    orphans: Mutex<Vec<(UserId, DocumentId, u64)>>,
}

#[async_trait]
impl DocumentFacts for Facts {
    async fn folder_holds_documents(&self, _: UserId, _: FolderId) -> Result<bool, FactsError> {
        Ok(!self.docs.lock().unwrap().is_empty())
    }
    async fn active_documents_in(
        &self,
        _: UserId,
        _: &[FolderId],
    ) -> Result<Vec<DocumentId>, FactsError> {
        Ok(self.docs.lock().unwrap().clone())
    }
    async fn abandoned_uploads(
        &self,
        _: DateTime<Utc>,
        _: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        Ok(self.docs.lock().unwrap().clone())
    }
    async fn orphaned_charges(
        &self,
        _: usize,
    ) -> Result<Vec<(UserId, DocumentId, u64)>, FactsError> {
        Ok(self.orphans.lock().unwrap().clone())
    }
    async fn trashed_before(
        &self,
        _: DateTime<Utc>,
        _: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        Ok(self.docs.lock().unwrap().clone())
    }
}

pub(crate) struct NoUsers;

#[async_trait]
impl UserDirectory for NoUsers {
    async fn find_by_handle(&self, _: &str) -> Result<Option<UserId>, FactsError> {
        Ok(None)
    }
}

struct World {
    ctx: CommandContext,
    svc: DocumentServices,
    blobs: Arc<MemoryBlobs>,
    facts: Arc<Facts>,
    clock: Arc<ManualClock>,
    user: UserId,
}

fn world(quota: u64) -> World {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let user = UserId::new();
    let ctx = CommandContext::system(Arc::new(MemoryStore::default()), clock.clone()).with_actor(
        Actor::User {
            id: user.as_uuid(),
            role: domain_role(),
        },
    );
    let blobs = Arc::new(MemoryBlobs::default());
    let facts = Arc::new(Facts::default());
    let svc = DocumentServices {
        blobs: blobs.clone(),
        facts: facts.clone(),
        users: Arc::new(NoUsers),
        snapshots: Arc::new(crate::testing::MemorySnapshots::default()),
        settings: DocumentSettings {
            default_quota_bytes: quota,
            ..Default::default()
        },
    };
    World {
        ctx,
        svc,
        blobs,
        facts,
        clock,
        user,
    }
}

fn domain_role() -> crate::Role {
    crate::Role::User
}

fn request(size: u64) -> upload::UploadRequest {
    upload::UploadRequest {
        filename: "report.pdf".into(),
        size,
        content_type: "application/pdf".into(),
        folder_id: None,
        sha256: None,
    }
}

fn pdf(size: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.resize(size, b'x');
    b
}

#[tokio::test]
async fn presigned_flow_charges_the_quota_and_sniffs_the_type() {
    let w = world(1000);
    let t = upload::request_upload(&w.ctx, &w.svc, w.user, request(100))
        .await
        .unwrap()
        .value;
    let key = ObjectKey::document(w.user, t.document_id);
    w.blobs.insert(&key, &pdf(100));
    let d = upload::confirm(&w.ctx, &w.svc, w.user, t.document_id)
        .await
        .unwrap()
        .value;
    assert_eq!(d.status, Status::Active);
    assert_eq!(d.content_type, "application/pdf");
    assert!(d.sha256.is_some());
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        100
    );
    // Confirming again changes nothing.
    upload::confirm(&w.ctx, &w.svc, w.user, t.document_id)
        .await
        .unwrap();
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        100
    );
}

#[tokio::test]
async fn bad_confirmations_delete_the_object_and_spend_nothing() {
    let w = world(1000);
    let missing = upload::request_upload(&w.ctx, &w.svc, w.user, request(100))
        .await
        .unwrap()
        .value;
    let err = upload::confirm(&w.ctx, &w.svc, w.user, missing.document_id)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(DocError::Document(DocumentError::UploadRejected(
            RejectReason::ObjectMissing
        )))
    ));
    let wrong = upload::request_upload(&w.ctx, &w.svc, w.user, request(100))
        .await
        .unwrap()
        .value;
    let key = ObjectKey::document(w.user, wrong.document_id);
    w.blobs.insert(&key, &pdf(99));
    let err = upload::confirm(&w.ctx, &w.svc, w.user, wrong.document_id)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(DocError::Document(DocumentError::UploadRejected(
            RejectReason::SizeMismatch
        )))
    ));
    assert!(!w.blobs.contains(&key));
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        0
    );
    // Another user cannot confirm (or learn about) the upload.
    let err = upload::confirm(&w.ctx, &w.svc, UserId::new(), wrong.document_id)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(DocError::Document(DocumentError::NotFound))
    ));
}

#[tokio::test]
async fn fifty_parallel_confirmations_never_exceed_the_quota() {
    let w = Arc::new(world(1000));
    let mut ids = Vec::new();
    for _ in 0..50 {
        let t = upload::request_upload(&w.ctx, &w.svc, w.user, request(100))
            .await
            .unwrap()
            .value;
        w.blobs
            .insert(&ObjectKey::document(w.user, t.document_id), &pdf(100));
        ids.push(t.document_id);
    }
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let w = w.clone();
            tokio::spawn(async move { upload::confirm(&w.ctx, &w.svc, w.user, id).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CommandError::Domain(DocError::Quota(QuotaError::Exceeded { .. }))) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 10, "exactly the uploads that fit succeed");
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        1000
    );
}

#[tokio::test]
async fn trash_still_counts_and_purge_frees() {
    let w = world(1000);
    let d = upload::upload_stream(
        &w.ctx,
        &w.svc,
        w.user,
        "a.pdf",
        "application/pdf",
        None,
        Box::pin(futures::stream::iter(vec![Ok(bytes::Bytes::from(pdf(
            300,
        )))])),
    )
    .await
    .unwrap()
    .value;
    manage::trash(&w.ctx, w.user, d.id).await.unwrap();
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        300
    );
    manage::purge(&w.ctx, &w.svc, w.user, d.id).await.unwrap();
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        0
    );
    assert!(!w.blobs.contains(&ObjectKey::document(w.user, d.id)));
    // A one-step upload larger than the remaining quota is refused while streaming.
    let err = upload::upload_stream(
        &w.ctx,
        &w.svc,
        w.user,
        "big.pdf",
        "application/pdf",
        None,
        Box::pin(futures::stream::iter(vec![Ok(bytes::Bytes::from(pdf(
            1001,
        )))])),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CommandError::Domain(DocError::Quota(_))));
}

#[tokio::test]
async fn the_sweeper_expires_abandoned_uploads_and_auto_purges_trash() {
    let w = world(1000);
    let t = upload::request_upload(&w.ctx, &w.svc, w.user, request(100))
        .await
        .unwrap()
        .value;
    let key = ObjectKey::document(w.user, t.document_id);
    w.blobs.insert(&key, &pdf(100));
    *w.facts.docs.lock().unwrap() = vec![t.document_id];
    // Not yet: the deadline plus grace has not passed.
    assert_eq!(
        sweep::expire_abandoned_uploads(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        0
    );
    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        sweep::expire_abandoned_uploads(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        1
    );
    assert!(!w.blobs.contains(&key));

    let d = upload::upload_stream(
        &w.ctx,
        &w.svc,
        w.user,
        "b.pdf",
        "application/pdf",
        None,
        Box::pin(futures::stream::iter(vec![Ok(bytes::Bytes::from(pdf(50)))])),
    )
    .await
    .unwrap()
    .value;
    manage::trash(&w.ctx, w.user, d.id).await.unwrap();
    *w.facts.docs.lock().unwrap() = vec![d.id];
    assert_eq!(
        sweep::purge_expired_trash(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        0
    );
    w.clock.advance(chrono::Duration::days(31));
    assert_eq!(
        sweep::purge_expired_trash(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        quota::current(&w.ctx, &*w.svc.snapshots, w.user)
            .await
            .unwrap()
            .used,
        0
    );
}

#[tokio::test]
async fn recursive_folder_delete_trashes_the_documents_inside() {
    let w = world(1000);
    let (a, _) = folders::create(&w.ctx, w.user, "A", None)
        .await
        .unwrap()
        .value;
    let (b, _) = folders::create(&w.ctx, w.user, "B", Some(a))
        .await
        .unwrap()
        .value;
    let d = upload::upload_stream(
        &w.ctx,
        &w.svc,
        w.user,
        "in-b.pdf",
        "application/pdf",
        Some(b),
        Box::pin(futures::stream::iter(vec![Ok(bytes::Bytes::from(pdf(10)))])),
    )
    .await
    .unwrap()
    .value;
    *w.facts.docs.lock().unwrap() = vec![d.id];
    let err = folders::delete(&w.ctx, &w.svc, w.user, a, false)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(DocError::Folder(domain::folder::FolderError::NotEmpty))
    ));
    folders::delete(&w.ctx, &w.svc, w.user, a, true)
        .await
        .unwrap();
    let restored = manage::restore(&w.ctx, w.user, d.id).await.unwrap().value;
    assert_eq!(
        restored.folder_id, None,
        "restored to the top level: its folder is gone"
    );
    // A folder id from another user's tree is just missing.
    let err = folders::create(&w.ctx, UserId::new(), "x", Some(b))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(DocError::Folder(
            domain::folder::FolderError::ParentNotFound
        ))
    ));
}

#[tokio::test]
async fn a_charge_is_made_and_released_once_per_document() {
    let w = world(1000);
    let d = DocumentId::new();
    let snaps = &*w.svc.snapshots;
    quota::charge(&w.ctx, snaps, w.user, d, 100, 1000)
        .await
        .unwrap();
    // A retried or concurrent charge of the same document changes nothing.
    assert_eq!(
        quota::charge(&w.ctx, snaps, w.user, d, 100, 1000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        quota::current(&w.ctx, snaps, w.user).await.unwrap().used,
        100
    );
    // The sweeper releases a charge whose document is gone; a second release is a no-op.
    *w.facts.orphans.lock().unwrap() = vec![(w.user, d, 100)];
    assert_eq!(
        sweep::release_orphaned_charges(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        sweep::release_orphaned_charges(&w.ctx, &w.svc, 10)
            .await
            .unwrap(),
        0
    );
    quota::release(&w.ctx, snaps, w.user, d, 100).await.unwrap();
    assert_eq!(quota::current(&w.ctx, snaps, w.user).await.unwrap().used, 0);
}
