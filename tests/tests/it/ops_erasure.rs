//! Black-box tests of `POST /api/admin/users/{id}/erase`: the account is deactivated, its blobs
//! purged, its personal data unreadable everywhere (audit API, admin API, the log itself), the
//! log still verifies, other users are untouched, and a repeat is harmless.

use docuvault_tests::docapp::{Backend, DocApp};
use domain::StreamId;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::ops_audit::{share, upload};
use crate::ops_projections::wait_for;

fn find<'a>(items: &'a [Value], event_type: &str) -> &'a Value {
    items
        .iter()
        .find(|e| e["type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} in {items:?}"))
}

#[tokio::test]
async fn erasure_shreds_one_user_and_leaves_the_rest_intact() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    let auditor = app.auditor("audrey").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a_doc = upload(&alice, "Alice diary.txt", b"dear diary").await;
    let a_id = a_doc["id"].as_str().unwrap().to_owned();
    let b_doc = upload(&bob, "Bob notes.txt", b"bob's notes").await;
    let b_id = b_doc["id"].as_str().unwrap().to_owned();
    let (status, _) = alice
        .post("/api/folders", json!({"name": "Alice private"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    share(&alice, &a_id, "bob", "download").await;
    share(&bob, &b_id, "alice", "download").await;
    assert!(app.object_exists(alice.id, &a_id).await);

    let path = format!("/api/admin/users/{}/erase", alice.id);
    let (status, body) = bob.post(&path, json!({"reason": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = admin.post(&path, json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin
        .post(&path, json!({"reason": "GDPR request #7"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["blobs_purged"], 1);

    // The account is gone: its token no longer works, its blob is deleted.
    let (status, _) = alice.get("/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!app.object_exists(alice.id, &a_id).await);

    // Other users are untouched (bob's document and blob), but lose the erased user's share.
    assert!(app.object_exists(bob.id, &b_id).await);
    let (status, mine) = bob.get(&format!("/api/documents/{b_id}")).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["filename"], "Bob notes.txt");
    let (_, shared) = bob.get("/api/shared-with-me").await;
    assert!(shared["items"].as_array().unwrap().is_empty(), "{shared}");
    let (status, _) = bob.get(&format!("/api/documents/{a_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = bob
        .get_raw(&format!("/api/documents/{a_id}/download"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The admin view shows the account erased and inactive.
    let (_, users) = admin.get("/api/admin/users?q=alice").await;
    let row = &users["items"][0];
    assert_eq!(row["email"], "[erased]");
    assert_eq!(row["is_active"], false);

    // The audit log: alice's personal data reads `[erased]`, bob's is intact, the erasure is there.
    let (_, about) = auditor
        .get(&format!(
            "/api/audit/events?subject_user={}&limit=200",
            alice.id
        ))
        .await;
    let items = about["items"].as_array().unwrap();
    assert_eq!(
        find(items, "UserRegistered")["personal_data"]["data.email"],
        "[erased]"
    );
    let requested = find(items, "DocumentUploadRequested");
    assert_eq!(requested["personal_data"]["data.filename"], "[erased]");
    assert!(!about.to_string().contains("Alice diary"), "{about}");
    let erased = find(items, "UserErased");
    assert_eq!(erased["data"]["reason"], "GDPR request #7");
    assert_eq!(erased["actor"]["handle"], "root");
    let (_, about_bob) = auditor
        .get(&format!(
            "/api/audit/events?subject_user={}&type=UserRegistered",
            bob.id
        ))
        .await;
    assert_eq!(
        about_bob["items"][0]["personal_data"]["data.email"],
        "bob@example.org"
    );

    // Exports carry nothing readable of alice either.
    let export = auditor
        .get_raw("/api/audit/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains("UserErased"));
    assert!(!export.contains("Alice diary") && !export.contains("alice@example.org"));
    assert!(export.contains("bob@example.org"));

    // The log itself: intact chains, alice's values unreadable, bob's readable.
    let report = infra::eventstore::verify_log(&app.app.db.pool)
        .await
        .unwrap();
    assert!(report.is_intact(), "{report}");
    let stream = StreamId::new("user", alice.id);
    let events = app.app.core.store.read_stream(&stream, 1).await.unwrap();
    assert_eq!(events[0].data["email"], json!({"$erased": true}));
    let bobs = app
        .app
        .core
        .store
        .read_stream(&StreamId::new("user", bob.id), 1)
        .await
        .unwrap();
    assert_eq!(bobs[0].data["email"], json!({"$pii": "bob@example.org"}));

    // Read models rebuilt from the log after the erasure show the same.
    for name in ["users", "documents"] {
        let (status, body) = admin
            .post(&format!("/api/admin/projections/{name}/rebuild"), json!({}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        wait_for(&admin, name, |p| p["rebuild"]["state"] == "done").await;
    }
    let (_, users) = admin.get("/api/admin/users?q=alice").await;
    assert_eq!(users["items"][0]["email"], "[erased]");
    let (status, mine) = bob.get(&format!("/api/documents/{b_id}")).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let (status, _) = bob.get(&format!("/api/documents/{a_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A repeat finishes nothing twice; an admin cannot erase themselves.
    let (status, body) = admin.post(&path, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["blobs_purged"], 0);
    let erasures = events_of_type(&app, &stream, "UserErased").await;
    assert_eq!(erasures, 1);
    let (status, body) = admin
        .post(
            &format!("/api/admin/users/{}/erase", admin.id),
            json!({"reason": "oops"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = admin
        .post(
            &format!("/api/admin/users/{}/erase", uuid::Uuid::now_v7()),
            json!({"reason": "nobody"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn events_of_type(app: &DocApp, stream: &StreamId, event_type: &str) -> usize {
    app.app
        .core
        .store
        .read_stream(stream, 1)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == event_type)
        .count()
}
