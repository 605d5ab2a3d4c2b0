//! Black-box tests of `GET /api/audit/events`: filters, pagination in both orders, personal data
//! decrypted in entries, every query recorded, and who may (not) read the log or documents.

use std::collections::HashSet;

use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Uploads a small file in one step and returns the document.
pub async fn upload(c: &Client, filename: &str, bytes: &[u8]) -> Value {
    let (status, doc) = c
        .multipart("/api/documents", None, filename, bytes.to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    doc
}

/// Shares document `id` with `handle`.
pub async fn share(c: &Client, id: &str, handle: &str, permission: &str) -> String {
    let (status, s) = c
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": handle, "permission": permission}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

/// Every entry of a filtered query, following cursors with a small page size.
async fn all_pages(c: &Client, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let sep = if query.is_empty() { "" } else { "&" };
        let path = match &cursor {
            Some(cur) => format!("/api/audit/events?{query}{sep}limit=2&cursor={cur}"),
            None => format!("/api/audit/events?{query}{sep}limit=2"),
        };
        let (status, page) = c.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
    panic!("pagination did not end");
}

fn types(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

fn positions(entries: &[Value]) -> Vec<u64> {
    entries
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn filters_pagination_and_personal_data() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let auditor = app.auditor("audrey").await;
    let doc = upload(&alice, "Contract.pdf", b"%PDF-1.7 terms").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    share(&alice, &id, "bob", "view").await;

    // By document, oldest first: the upload, then the share, all about alice's document.
    let by_doc = all_pages(&auditor, &format!("document_id={id}&order=oldest")).await;
    let t = types(&by_doc);
    assert_eq!(t.first(), Some(&"DocumentUploadRequested"), "{t:?}");
    assert!(
        t.contains(&"DocumentUploaded") && t.contains(&"DocumentShared"),
        "{t:?}"
    );
    let p = positions(&by_doc);
    assert!(p.windows(2).all(|w| w[0] < w[1]), "{p:?}");
    let requested = &by_doc[0];
    assert_eq!(requested["actor"]["handle"], "alice");
    assert_eq!(requested["personal_data"]["data.filename"], "Contract.pdf");
    assert!(requested["summary"]
        .as_str()
        .unwrap()
        .contains("Contract.pdf"));
    assert_eq!(requested["document_id"], id.as_str());
    let shared = by_doc
        .iter()
        .find(|e| e["type"] == "DocumentShared")
        .unwrap();
    assert_eq!(shared["summary"], "Shared with @bob (view)");
    let subjects: HashSet<&str> = shared["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, HashSet::from(["alice", "bob"]));

    // Newest first is the same set reversed; paging loses and repeats nothing.
    let newest = all_pages(&auditor, &format!("document_id={id}")).await;
    let mut reversed = positions(&newest);
    reversed.reverse();
    assert_eq!(reversed, p);

    // By subject user: bob's registration and the share, not alice's upload.
    let about_bob = all_pages(&auditor, &format!("subject_user={}", bob.id)).await;
    let t = types(&about_bob);
    assert!(
        t.contains(&"UserRegistered") && t.contains(&"DocumentShared"),
        "{t:?}"
    );
    assert!(!t.contains(&"DocumentUploadRequested"), "{t:?}");
    let reg = about_bob
        .iter()
        .find(|e| e["type"] == "UserRegistered")
        .unwrap();
    assert_eq!(reg["personal_data"]["data.email"], "bob@example.org");
    assert_eq!(reg["data"]["password_hash"], "[redacted]");
    assert!(!reg.to_string().contains("argon2"), "{reg}");

    // By actor and type (several types at once).
    let by_alice = all_pages(
        &auditor,
        &format!("actor={}&type=DocumentShared,DocumentUploaded", alice.id),
    )
    .await;
    let mut t = types(&by_alice);
    t.sort();
    assert_eq!(t, vec!["DocumentShared", "DocumentUploaded"]);

    // By time: nothing before the first entry, everything from it.
    let first_at = by_doc[0]["recorded_at"].as_str().unwrap().to_owned();
    let enc = |s: &str| s.replace(':', "%3A").replace('+', "%2B");
    let before = all_pages(&auditor, &format!("document_id={id}&to={}", enc(&first_at))).await;
    assert!(before.is_empty(), "{before:?}");
    let from = all_pages(
        &auditor,
        &format!("document_id={id}&from={}", enc(&first_at)),
    )
    .await;
    assert_eq!(from.len(), by_doc.len());

    let (status, body) = auditor.get("/api/audit/events?cursor=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn every_audit_query_is_recorded() {
    let app = DocApp::spawn(Backend::Fs).await;
    let auditor = app.auditor("audrey").await;
    let admin = app.admin("root").await;
    for _ in 0..3 {
        let (status, _) = auditor.get("/api/audit/events?limit=1").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, page) = admin
        .get(&format!(
            "/api/audit/events?type=AuditLogQueried&actor={}",
            auditor.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    assert_eq!(items[0]["actor"]["handle"], "audrey");
    assert_eq!(items[0]["data"]["returned"], 1);
    assert!(items[0]["summary"]
        .as_str()
        .unwrap()
        .starts_with("Audit log queried"));
}

#[tokio::test]
async fn auditors_never_reach_documents_and_users_never_reach_the_log() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    let auditor = app.auditor("audrey").await;
    let doc = upload(&alice, "private.txt", b"the secret content").await;
    let id = doc["id"].as_str().unwrap();
    for path in [
        "/api/documents".to_owned(),
        format!("/api/documents/{id}"),
        format!("/api/documents/{id}/download"),
        format!("/api/documents/{id}/shares"),
        "/api/shared-with-me".to_owned(),
        "/api/trash".to_owned(),
    ] {
        let res = auditor.get_raw(&path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("the secret content"), "{path}: {body}");
    }
    // The audit entries of the document carry no content either.
    let (_, page) = auditor
        .get(&format!("/api/audit/events?document_id={id}"))
        .await;
    assert!(!page["items"].as_array().unwrap().is_empty());
    assert!(!page.to_string().contains("the secret content"));

    let (status, body) = alice.get("/api/audit/events").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app.anonymous().get("/api/audit/events").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
