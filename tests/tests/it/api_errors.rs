//! Malformed requests on the documents routes answer problem+json with a stable code, like every
//! other error, and change nothing.

use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn malformed_bodies_queries_and_ids_are_problem_json() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;

    let (status, body) = alice
        .post("/api/documents/upload-url", json!({"filename": "a.txt"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_body", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("size"), "{body}");

    let (status, body) = alice.post("/api/folders", json!({"name": 42})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_body", "{body}");

    let (status, body) = alice.get("/api/documents?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_query", "{body}");

    let (status, body) = alice.get("/api/documents/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found", "{body}");

    // Nothing was created by any of them.
    let (status, body) = alice.get("/api/documents?folder_id=root").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{body}");
    let (status, folders) = alice.get("/api/folders").await;
    assert_eq!(status, StatusCode::OK, "{folders}");
    assert_eq!(folders.as_array().map(Vec::len), Some(0), "{folders}");
}
