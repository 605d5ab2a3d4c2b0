//! Erasure over the in-memory event and blob stores: what is purged, that the key goes and
//! `UserErased` is recorded, that a repeat finishes cleanly, and what is refused.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use domain::blob::ObjectKey;
use domain::document::{Document, Status};
use domain::ids::{DocumentId, UserId};
use domain::ports::{Clock, DataKey, DataKeys, KeyError, ManualClock};
use domain::user::Role;

use super::*;
use crate::context::{Actor, CommandContext};
use crate::documents::tests::{Facts, NoUsers};
use crate::documents::{upload, DocumentSettings};
use crate::executor::load;
use crate::identity::secrets::IndexKey;
use crate::identity::tests::fakes::{FakeHasher, FakeScreen, FakeTotp};
use crate::identity::{register, IdentityDeps, RegisterUser};
use crate::testing::{MemoryBlobs, MemoryStore};

/// Data keys that only remember which subjects were destroyed.
#[derive(Default)]
struct Keys {
    destroyed: Mutex<HashSet<uuid::Uuid>>,
}

#[async_trait]
impl DataKeys for Keys {
    async fn get_or_create(&self, subject: uuid::Uuid) -> Result<DataKey, KeyError> {
        Ok(DataKey(
            *subject.as_bytes().repeat(2).first_chunk().unwrap(),
        ))
    }
    async fn get(&self, subject: uuid::Uuid) -> Result<Option<DataKey>, KeyError> {
        let destroyed = self.destroyed.lock().unwrap().contains(&subject);
        Ok((!destroyed).then_some(DataKey([1; 32])))
    }
    async fn destroy(&self, subject: uuid::Uuid) -> Result<(), KeyError> {
        self.destroyed.lock().unwrap().insert(subject);
        Ok(())
    }
}

/// The owned-documents read model, as the test fills it; `failing` makes every read fail.
#[derive(Default)]
struct Owned {
    ids: Mutex<Vec<DocumentId>>,
    failing: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl OwnedDocuments for Owned {
    async fn owned_by(&self, _: UserId) -> Result<Vec<DocumentId>, OwnedDocumentsError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(OwnedDocumentsError::Database("connection refused".into()));
        }
        Ok(self.ids.lock().unwrap().clone())
    }
}

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    blobs: Arc<MemoryBlobs>,
    svc: DocumentServices,
    owned: Owned,
    keys: Keys,
    admin: UserId,
    user: UserId,
}

impl World {
    async fn new() -> Self {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
        ));
        let blobs = Arc::new(MemoryBlobs::default());
        let svc = DocumentServices {
            blobs: blobs.clone(),
            facts: Arc::new(Facts::default()),
            users: Arc::new(NoUsers),
            snapshots: Arc::new(crate::testing::MemorySnapshots::default()),
            settings: DocumentSettings::default(),
        };
        let deps = IdentityDeps {
            hasher: Arc::new(FakeHasher),
            screen: Arc::new(FakeScreen),
            totp: Arc::new(FakeTotp),
            index: IndexKey::new([7; 32]),
            refresh_lifetime: Duration::days(30),
        };
        let system = CommandContext::system(store.clone(), clock.clone());
        let mut ids = Vec::new();
        for (handle, role) in [("root", Role::Admin), ("alice", Role::User)] {
            let done = register(
                &system,
                &deps,
                RegisterUser {
                    email: format!("{handle}@example.com"),
                    handle: handle.into(),
                    password: "correct horse battery staple".into(),
                    role,
                },
            )
            .await
            .unwrap();
            ids.push(done.user_id);
        }
        Self {
            store,
            clock,
            blobs,
            svc,
            owned: Owned::default(),
            keys: Keys::default(),
            admin: ids[0],
            user: ids[1],
        }
    }

    fn as_user(&self, id: UserId, role: Role) -> CommandContext {
        CommandContext::system(self.store.clone(), self.clock.clone())
            .with_actor(Actor::User { id: id.0, role })
    }

    fn deps(&self) -> ErasureDeps<'_> {
        ErasureDeps {
            documents: &self.svc,
            owned: &self.owned,
            keys: &self.keys,
            credentials: None,
        }
    }

    /// Requests an upload as the user; with `confirmed` the bytes arrive and it is confirmed,
    /// else the bytes stay behind an unconfirmed (pending) upload.
    async fn upload(&self, confirmed: bool) -> DocumentId {
        let ctx = self.as_user(self.user, Role::User);
        let req = upload::UploadRequest {
            filename: "report.pdf".into(),
            size: 20,
            content_type: "application/pdf".into(),
            folder_id: None,
            sha256: None,
        };
        let id = upload::request_upload(&ctx, &self.svc, self.user, req)
            .await
            .unwrap()
            .value
            .document_id;
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(20, b'x');
        self.blobs.insert(&ObjectKey::document(self.user, id), &pdf);
        if confirmed {
            upload::confirm(&ctx, &self.svc, self.user, id)
                .await
                .unwrap();
        }
        self.owned.ids.lock().unwrap().push(id);
        id
    }

    async fn erase(&self, user: UserId) -> Result<Erased, EraseError> {
        let ctx = self.as_user(self.admin, Role::Admin);
        erase_user(&ctx, self.deps(), user, "ticket 42", |_| {}).await
    }
}

#[tokio::test]
async fn erasure_purges_documents_shreds_the_key_and_records_it() {
    let w = World::new().await;
    let active = w.upload(true).await;
    let pending = w.upload(false).await;
    let ctx = w.as_user(w.admin, Role::Admin);
    let mut seen_inactive = None;
    let erased = erase_user(&ctx, w.deps(), w.user, "ticket 42", |u| {
        seen_inactive = Some(!u.active)
    })
    .await
    .unwrap();
    assert_eq!(
        seen_inactive,
        Some(true),
        "the hook sees the deactivated account"
    );
    assert_eq!(erased.blobs_purged, 2);
    assert!(erased.position.is_some());
    // Sessions issued before the erasure end: `not_before` is the next whole second.
    let since = erased.erased_at - w.clock.now();
    assert!(since >= Duration::zero() && since <= Duration::seconds(1));
    for id in [active, pending] {
        assert!(!w.blobs.contains(&ObjectKey::document(w.user, id)));
    }
    let doc = load::<Document>(&ctx, active.as_uuid())
        .await
        .unwrap()
        .state;
    assert_eq!(doc.data().map(|d| d.status), Some(Status::Purged));
    assert!(w.keys.destroyed.lock().unwrap().contains(&w.user.as_uuid()));
    let last = w.store.all().pop().unwrap();
    assert_eq!(last.event_type, "UserErased");
    assert_eq!(
        last.stream_id.as_str(),
        format!("user-{}", w.user.as_uuid())
    );
}

#[tokio::test]
async fn a_repeated_erasure_finishes_without_purging_again() {
    let w = World::new().await;
    w.upload(true).await;
    w.erase(w.user).await.unwrap();
    let again = w.erase(w.user).await.unwrap();
    assert_eq!(again.blobs_purged, 0);
}

#[tokio::test]
async fn an_admin_cannot_erase_themselves_and_nothing_happens() {
    let w = World::new().await;
    let before = w.store.all().len();
    let err = w.erase(w.admin).await.unwrap_err();
    assert!(matches!(
        err,
        EraseError::Account(CommandError::Domain(IdentityError::CannotModifySelf))
    ));
    assert_eq!(w.store.all().len(), before);
    assert!(w.keys.destroyed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_account_is_not_found() {
    let w = World::new().await;
    let err = w.erase(UserId::new()).await.unwrap_err();
    assert!(matches!(err, EraseError::Account(CommandError::NotFound)));
    assert!(w.keys.destroyed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn only_admins_erase() {
    let w = World::new().await;
    let ctx = w.as_user(w.user, Role::User);
    let err = erase_user(&ctx, w.deps(), w.admin, "no", |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, EraseError::Account(CommandError::Forbidden)));
}

#[tokio::test]
async fn a_failed_read_stops_after_deactivating_and_a_retry_finishes() {
    let w = World::new().await;
    let id = w.upload(true).await;
    w.owned
        .failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let err = w.erase(w.user).await.unwrap_err();
    assert!(matches!(err, EraseError::OwnedDocuments(_)));
    assert_eq!(err.to_string(), "database: connection refused");
    // The account is already inactive; nothing else happened.
    let ctx = w.as_user(w.admin, Role::Admin);
    let user = load::<User>(&ctx, w.user.as_uuid()).await.unwrap().state;
    assert!(!user.active && !user.erased);
    assert!(w.blobs.contains(&ObjectKey::document(w.user, id)));
    assert!(w.keys.destroyed.lock().unwrap().is_empty());
    assert_ne!(w.store.all().pop().unwrap().event_type, "UserErased");
    // A retry finishes the rest.
    w.owned
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let erased = w.erase(w.user).await.unwrap();
    assert_eq!(erased.blobs_purged, 1);
    assert!(w.keys.destroyed.lock().unwrap().contains(&w.user.as_uuid()));
}
