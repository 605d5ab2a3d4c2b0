//! The documents area against PostgreSQL: real command handlers on the PostgreSQL event store
//! (filenames encrypted at rest) with the filesystem blob store, projected by
//! `projections::documents`, read back through the query API's SQL. Also: the quota stays exact
//! under 50 parallel confirmations, redelivery is harmless, and folder listings of a large
//! collection are index range scans.

use std::sync::Arc;

use commands::documents::{folders, manage, share, upload, DocumentServices, DocumentSettings};
use commands::{Actor, CommandContext, Role};
use docuvault_tests::TestDb;
use domain::document::Permission;
use domain::ids::UserId;
use domain::ports::{EventStore, SystemClock};
use domain::Checkpoint;
use futures::stream;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use infra::readmodels::documents::{self as read, SqlFacts};
use projections::documents::{Listing, Sort, Visibility};
use uuid::Uuid;

struct World {
    db: TestDb,
    store: Arc<PgEventStore>,
    svc: DocumentServices,
    users: Arc<Handles>,
    dir: std::path::PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn world() -> World {
    let db = TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("docuvault-rm-{}", Uuid::now_v7()));
    let blobs = infra::blob::FsBlobStore::open(
        &dir,
        vec![1; 32],
        Some("http://127.0.0.1:9".into()),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    // Handles live in the identity area; here a directory of the users this test creates.
    let users = Arc::new(Handles::default());
    let svc = DocumentServices {
        blobs: Arc::new(blobs),
        facts: Arc::new(SqlFacts {
            pool: db.pool.clone(),
        }),
        users: users.clone(),
        snapshots: Arc::new(infra::snapshots::PgSnapshots {
            pool: db.pool.clone(),
        }),
        settings: DocumentSettings {
            default_quota_bytes: 10_000,
            ..Default::default()
        },
    };
    let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
    let store = Arc::new(PgEventStore::new(db.pool.clone(), keys));
    World {
        db,
        store,
        svc,
        users,
        dir,
    }
}

/// The users a test created, by handle.
#[derive(Default)]
struct Handles(std::sync::Mutex<std::collections::HashMap<String, UserId>>);

#[async_trait::async_trait]
impl commands::documents::UserDirectory for Handles {
    async fn find_by_handle(
        &self,
        handle: &str,
    ) -> Result<Option<UserId>, commands::documents::FactsError> {
        Ok(self.0.lock().unwrap().get(&handle.to_lowercase()).copied())
    }
}

impl World {
    async fn user(&self, handle: &str) -> (UserId, CommandContext) {
        let id = UserId::new();
        self.users
            .0
            .lock()
            .unwrap()
            .insert(handle.to_lowercase(), id);
        let ctx = CommandContext::system(self.store.clone(), Arc::new(SystemClock)).with_actor(
            Actor::User {
                id: id.as_uuid(),
                role: Role::User,
            },
        );
        (id, ctx)
    }

    /// Projects every event stored so far (from scratch: the projection is idempotent).
    async fn project(&self) {
        // Readers only see events no in-flight transaction (in any database of the cluster) can
        // still precede: poll, bounded, until everything committed is readable.
        let total: i64 = sqlx::query_scalar("select count(*) from events")
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let events = loop {
            let events = self
                .store
                .read_all(Checkpoint::START, 1_000_000)
                .await
                .unwrap();
            if events.len() as i64 >= total {
                break events;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "events did not become readable"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let mut tx = self.db.pool.begin().await.unwrap();
        projections::documents::apply(&mut tx, &events)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn upload(
        &self,
        ctx: &CommandContext,
        owner: UserId,
        name: &str,
        bytes: &[u8],
        folder: Option<domain::ids::FolderId>,
    ) -> Uuid {
        let body = stream::iter(vec![Ok(bytes::Bytes::copy_from_slice(bytes))]);
        upload::upload_stream(
            ctx,
            &self.svc,
            owner,
            name,
            "application/octet-stream",
            folder,
            Box::pin(body),
        )
        .await
        .unwrap()
        .value
        .id
        .as_uuid()
    }
}

fn listing(
    owner: UserId,
    folder: Option<Uuid>,
    sort: &str,
    limit: u32,
    cursor: Option<String>,
) -> Listing {
    Listing {
        owner: owner.as_uuid(),
        state: "active",
        folder,
        q: None,
        sort: Sort::parse(Some(sort)).unwrap(),
        limit,
        cursor,
    }
}

#[tokio::test]
async fn listings_page_through_folders_in_every_sort_order() {
    let w = world().await;
    let (alice, ctx) = w.user("alice").await;
    let f = folders::create(&ctx, alice, "Taxes", None)
        .await
        .unwrap()
        .value
        .0;
    for (i, name) in ["b.txt", "a.txt", "c.txt"].iter().enumerate() {
        w.upload(&ctx, alice, name, &vec![b'x'; i + 1], Some(f))
            .await;
    }
    w.upload(&ctx, alice, "top.txt", b"top", None).await;
    w.project().await;

    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let (rows, next) = read::list_documents(
            &w.db.pool,
            &listing(alice, Some(f.as_uuid()), "filename", 2, cursor),
        )
        .await
        .unwrap();
        names.extend(rows.into_iter().map(|r| r.filename));
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(names, ["a.txt", "b.txt", "c.txt"]);
    let (rows, _) = read::list_documents(
        &w.db.pool,
        &listing(alice, Some(f.as_uuid()), "-size_bytes", 10, None),
    )
    .await
    .unwrap();
    let sizes: Vec<i64> = rows.iter().map(|r| r.size_bytes).collect();
    assert_eq!(sizes, [3, 2, 1]);
    let (rows, _) = read::list_documents(
        &w.db.pool,
        &listing(alice, Some(Uuid::nil()), "-created_at", 10, None),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].filename, "top.txt");
    let mut q = listing(alice, None, "filename", 10, None);
    q.q = Some("A.T".into());
    let (rows, _) = read::list_documents(&w.db.pool, &q).await.unwrap();
    assert_eq!(
        rows.len(),
        1,
        "`q` is a case-insensitive substring; `_`/`%` are literal"
    );
}

#[tokio::test]
async fn shares_are_visible_to_the_recipient_only_while_they_last() {
    let w = world().await;
    let (alice, a_ctx) = w.user("alice").await;
    let (bob, _) = w.user("bob").await;
    let (eve, _) = w.user("eve").await;
    let doc = w.upload(&a_ctx, alice, "plan.pdf", b"%PDF-1.7", None).await;
    let s = share::share(
        &a_ctx,
        &w.svc,
        alice,
        domain::ids::DocumentId(doc),
        "@Bob",
        Permission::View,
    )
    .await
    .unwrap()
    .value;
    w.project().await;
    let (row, vis) = read::visible_document(&w.db.pool, bob.as_uuid(), doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vis, Visibility::Recipient("view".into()));
    assert_eq!(row.shared_with_count, 1);
    assert!(read::visible_document(&w.db.pool, eve.as_uuid(), doc)
        .await
        .unwrap()
        .is_none());
    let (shared, _) = read::shared_with(&w.db.pool, bob.as_uuid(), 10, None)
        .await
        .unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].1, "view");

    share::revoke(&a_ctx, alice, domain::ids::DocumentId(doc), s.share_id)
        .await
        .unwrap();
    w.project().await;
    assert!(read::visible_document(&w.db.pool, bob.as_uuid(), doc)
        .await
        .unwrap()
        .is_none());
    let (row, _) = read::visible_document(&w.db.pool, alice.as_uuid(), doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.shared_with_count, 0);
}

#[tokio::test]
async fn quota_trash_purge_and_redelivery() {
    let w = world().await;
    let (alice, ctx) = w.user("alice").await;
    let doc = w.upload(&ctx, alice, "a.bin", &[7; 1000], None).await;
    manage::trash(&ctx, alice, domain::ids::DocumentId(doc))
        .await
        .unwrap();
    w.project().await;
    // Projecting everything again must not double-count anything.
    w.project().await;
    let (_, used, _) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(used, 1000, "trash still counts");
    let mut trash = listing(alice, None, "-created_at", 10, None);
    trash.state = "trashed";
    assert_eq!(
        read::list_documents(&w.db.pool, &trash)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    manage::purge(&ctx, &w.svc, alice, domain::ids::DocumentId(doc))
        .await
        .unwrap();
    w.project().await;
    let (_, used, _) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(used, 0, "purge frees");
    assert!(read::visible_document(&w.db.pool, alice.as_uuid(), doc)
        .await
        .unwrap()
        .is_none());
    // A pending upload shows as reserved.
    upload::request_upload(
        &ctx,
        &w.svc,
        alice,
        upload::UploadRequest {
            filename: "later.pdf".into(),
            size: 500,
            content_type: "application/pdf".into(),
            folder_id: None,
            sha256: None,
        },
    )
    .await
    .unwrap();
    w.project().await;
    let (_, _, reserved) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(reserved, 500);
}

#[tokio::test]
async fn fifty_parallel_confirmations_never_exceed_the_quota() {
    let w = Arc::new(world().await);
    let (alice, ctx) = w.user("alice").await;
    // 10,000 bytes of quota, 50 uploads of 1,000 bytes.
    let mut ids = Vec::new();
    for i in 0..50 {
        let t = upload::request_upload(
            &ctx,
            &w.svc,
            alice,
            upload::UploadRequest {
                filename: format!("f{i}.bin"),
                size: 1000,
                content_type: "application/octet-stream".into(),
                folder_id: None,
                sha256: None,
            },
        )
        .await
        .unwrap()
        .value;
        let key = domain::blob::ObjectKey::document(alice, t.document_id);
        let body = stream::iter(vec![Ok(bytes::Bytes::from(vec![1u8; 1000]))]);
        w.svc
            .blobs
            .put(&key, "application/octet-stream", Box::pin(body), 1000)
            .await
            .unwrap();
        ids.push(t.document_id);
    }
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let (w, ctx) = (w.clone(), ctx.clone());
            tokio::spawn(async move { upload::confirm(&ctx, &w.svc, alice, id).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(commands::CommandError::Domain(commands::documents::DocError::Quota(_))) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 10);
    w.project().await;
    let (_, used, _) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(used, 10_000);
}

#[tokio::test]
async fn filenames_are_encrypted_in_the_log() {
    let w = world().await;
    let (alice, ctx) = w.user("alice").await;
    w.upload(&ctx, alice, "very-secret-name.pdf", b"%PDF", None)
        .await;
    let leaked: i64 = sqlx::query_scalar(
        "select count(*) from events where data::text like '%very-secret-name%'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    w.project().await;
    let (rows, _) = read::list_documents(&w.db.pool, &listing(alice, None, "filename", 10, None))
        .await
        .unwrap();
    assert_eq!(rows[0].filename, "very-secret-name.pdf");
}

/// 100,000 rows for one user: a folder page in each sort order is an index range scan, with no
/// sort step and no sequential scan.
#[tokio::test]
async fn a_folder_page_of_a_large_collection_is_an_index_range_scan() {
    let w = world().await;
    let owner = Uuid::now_v7();
    let folder = Uuid::now_v7();
    // In slices: one long transaction would hold back every event-store reader in the cluster
    // (the never-skip read bound), and other tests share the cluster.
    for slice in 0..20 {
        sqlx::query(
            "insert into documents (id, owner_id, folder_key, filename, filename_key, content_type, \
             size_bytes, state, created_at, updated_at) \
             select gen_random_uuid(), $1, case when i % 10 = 0 then $2 else '00000000-0000-0000-0000-000000000000'::uuid end, \
             'f' || i, 'f' || i, 'text/plain', i, 'active', now() - i * interval '1 second', now() \
             from generate_series($3::int, $3::int + 4999) i",
        )
        .bind(owner)
        .bind(folder)
        .bind(1 + slice * 5000)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }
    // Other users' rows, so the owner is not the whole table.
    sqlx::query(
        "insert into documents (id, owner_id, folder_key, filename, filename_key, content_type, \
         size_bytes, state, created_at, updated_at) \
         select gen_random_uuid(), gen_random_uuid(), '00000000-0000-0000-0000-000000000000'::uuid, \
         'g' || i, 'g' || i, 'text/plain', i, 'active', now(), now() from generate_series(1, 20000) i",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query("analyze documents")
        .execute(&w.db.pool)
        .await
        .unwrap();
    for (col, dir) in [
        ("created_at", "desc"),
        ("filename_key", "asc"),
        ("size_bytes", "desc"),
    ] {
        let sql = format!(
            "explain (format json) select * from documents d where d.owner_id = '{owner}' \
             and d.state = 'active' and d.folder_key = '{folder}' \
             order by d.{col} {dir}, d.id {dir} limit 51"
        );
        let plan: serde_json::Value = sqlx::query_scalar(&sql)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
        let text = plan.to_string();
        assert!(text.contains("Index Scan"), "{col}: {text}");
        assert!(!text.contains("\"Sort\""), "{col} needs a sort: {text}");
        assert!(!text.contains("Seq Scan"), "{col}: {text}");
    }
    let (rows, next) = read::list_documents(
        &w.db.pool,
        &Listing {
            owner,
            state: "active",
            folder: Some(folder),
            q: None,
            sort: Sort::parse(Some("-created_at")).unwrap(),
            limit: 50,
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 50);
    assert!(next.is_some());
}

/// A crash between a purge and its quota release leaves a charge behind: the sweeper finds it
/// through the read model and releases it, exactly once.
#[tokio::test]
async fn a_charge_left_by_a_crash_is_released_by_the_sweeper() {
    use commands::documents::sweep;
    let w = world().await;
    let (alice, ctx) = w.user("alice").await;
    let doc = domain::ids::DocumentId(w.upload(&ctx, alice, "a.bin", &[1; 700], None).await);
    manage::trash(&ctx, alice, doc).await.unwrap();
    // The purge's own event, without the release that follows it (the "crash").
    commands::execute::<domain::document::Document, _, _, _>(
        &ctx,
        doc.as_uuid(),
        Some(alice.as_uuid()),
        |s| domain::document::decide::purge(s, alice).map(|e| (e, ())),
    )
    .await
    .unwrap();
    w.project().await;
    let (_, used, _) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(used, 700, "still charged");
    let system = CommandContext::system(w.store.clone(), Arc::new(SystemClock));
    assert_eq!(
        sweep::release_orphaned_charges(&system, &w.svc, 10)
            .await
            .unwrap(),
        1
    );
    w.project().await;
    assert_eq!(
        sweep::release_orphaned_charges(&system, &w.svc, 10)
            .await
            .unwrap(),
        0
    );
    let (_, used, _) = read::quota_of(&w.db.pool, alice.as_uuid(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(used, 0);
}

/// The read model's duplicate-of pointer (kept on the row so a page reads one table) follows
/// uploads, trash and purges: each copy points at the owner's earliest remaining one.
#[tokio::test]
async fn duplicate_pointers_follow_uploads_and_purges() {
    let w = world().await;
    let (alice, ctx) = w.user("alice").await;
    let (bob, bob_ctx) = w.user("bob").await;
    let a = w.upload(&ctx, alice, "a.txt", b"same bytes", None).await;
    let b = w.upload(&ctx, alice, "b.txt", b"same bytes", None).await;
    let c = w.upload(&ctx, alice, "c.txt", b"same bytes", None).await;
    let other = w.upload(&ctx, alice, "d.txt", b"other bytes", None).await;
    let bobs = w.upload(&bob_ctx, bob, "a.txt", b"same bytes", None).await;
    let dup = |id: Uuid| {
        let pool = w.db.pool.clone();
        async move {
            let (row, _) = read::visible_document(&pool, row_owner(&pool, id).await, id)
                .await
                .unwrap()
                .expect("visible");
            row.duplicate_of
        }
    };
    w.project().await;
    assert_eq!(dup(a).await, None);
    assert_eq!(dup(b).await, Some(a));
    assert_eq!(dup(c).await, Some(a));
    assert_eq!(dup(other).await, None);
    assert_eq!(dup(bobs).await, None, "never across owners");
    // In the trash it still counts (it can come back); purged, the next copy is the original.
    manage::trash(&ctx, alice, domain::ids::DocumentId(a))
        .await
        .unwrap();
    w.project().await;
    assert_eq!(dup(b).await, Some(a));
    manage::purge(&ctx, &w.svc, alice, domain::ids::DocumentId(a))
        .await
        .unwrap();
    w.project().await;
    assert_eq!(dup(b).await, None);
    assert_eq!(dup(c).await, Some(b));
    // Listing pages show the same pointers.
    let (rows, _) = read::list_documents(&w.db.pool, &listing(alice, None, "created_at", 10, None))
        .await
        .unwrap();
    let pointers: Vec<_> = rows.iter().map(|r| (r.id, r.duplicate_of)).collect();
    assert_eq!(pointers, vec![(b, None), (c, Some(b)), (other, None)]);
}

async fn row_owner(pool: &sqlx::PgPool, id: Uuid) -> Uuid {
    sqlx::query_scalar("select owner_id from documents where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}
