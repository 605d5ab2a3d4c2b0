//! `GET /api/admin/users` shows each user's storage quota (limit, used, reserved), so the admin
//! screen needs no request per user.

use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn user<'a>(page: &'a Value, handle: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["handle"] == handle)
        .unwrap_or_else(|| panic!("{handle} not listed: {page}"))
}

#[tokio::test]
async fn the_user_listing_carries_each_quota() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    let (status, doc) = alice
        .multipart("/api/documents", None, "notes.txt", vec![b'x'; 1234])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let (status, _) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "later.bin", "size": 500, "content_type": "application/octet-stream"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = admin
        .put(
            &format!("/api/admin/users/{}/quota", alice.id),
            json!({"limit_bytes": 10_000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, page) = admin.get("/api/admin/users").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let a = &user(&page, "alice")["quota"];
    assert_eq!(a["limit_bytes"], 10_000, "{a}");
    assert_eq!(a["used_bytes"], 1234, "{a}");
    assert_eq!(a["reserved_bytes"], 500, "{a}");
    // Bob never uploaded nor got a limit: the default limit, nothing used.
    let (_, own) = bob.get("/api/quota").await;
    let b = &user(&page, "bob")["quota"];
    assert_eq!(b["limit_bytes"], own["limit_bytes"], "{b}");
    assert_eq!(b["used_bytes"], 0, "{b}");

    // The text filter still applies.
    let (_, page) = admin.get("/api/admin/users?q=ali").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["quota"]["used_bytes"], 1234);
}
