//! Black-box tests of the documents HTTP contract against the real router, with both blob stores:
//! presigned flow with a plain HTTP client, tampered/expired URLs, confirm without upload and
//! with a wrong size, 50 concurrent uploads racing a quota, IDOR on every `{id}` route, shares
//! and the recipient's limits, folder cycles, trash/restore/purge/quota, hostile filenames, and
//! HTML downloaded as an inert attachment.

use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Requests an upload URL, PUTs `body` with a plain client, confirms.
async fn upload(c: &Client, filename: &str, content_type: &str, body: &[u8]) -> Value {
    let (status, t) = c
        .post(
            "/api/documents/upload-url",
            json!({"filename": filename, "size": body.len(), "content_type": content_type}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let put = put_to(&t["upload"], body.to_vec()).await;
    assert!(put.is_success(), "PUT answered {put}");
    let (status, doc) = c
        .post(
            &format!(
                "/api/documents/{}/confirm",
                t["document_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// The client's side of a presigned upload: exactly the returned method, URL and headers.
async fn put_to(upload: &Value, body: Vec<u8>) -> StatusCode {
    assert_eq!(upload["method"], "PUT");
    let mut req = reqwest::Client::new()
        .put(upload["url"].as_str().unwrap())
        .body(body);
    for (k, v) in upload["headers"].as_object().unwrap() {
        req = req.header(k, v.as_str().unwrap());
    }
    req.send().await.unwrap().status()
}

macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod fs {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::Fs).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::S3).await;
                }
            )*
        }
    };
}

both_stores!(
    presigned_flow_with_a_plain_http_client,
    tampered_and_expired_upload_urls_are_refused,
    confirm_without_upload_or_with_a_wrong_size,
    fifty_concurrent_uploads_race_a_quota,
    another_users_ids_answer_404_on_every_route,
    shares_revocation_and_the_recipients_limits,
    folders_never_form_a_cycle,
    trash_restore_purge_and_quota,
    hostile_filenames_are_refused_or_normalised,
    html_is_downloaded_as_an_inert_attachment,
    multipart_one_step_upload,
);

async fn presigned_flow_with_a_plain_http_client(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let doc = upload(
        &alice,
        "Report 2026.pdf",
        "application/pdf",
        b"%PDF-1.7\nhello",
    )
    .await;
    assert_eq!(doc["filename"], "Report 2026.pdf");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["size_bytes"], 14);
    assert_eq!(doc["status"], "uploaded");
    assert_eq!(doc["owner"]["handle"], "alice");
    assert_eq!(doc["shared_with_count"], 0);
    assert!(doc["sha256"].as_str().is_some_and(|s| s.len() == 64));
    let id = doc["id"].as_str().unwrap();

    let (status, got) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["id"], doc["id"]);
    let (_, page) = alice.get("/api/documents?folder_id=root").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_null());

    let res = alice
        .get_raw(&format!("/api/documents/{id}/download"))
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let bytes = reqwest::get(&location).await.unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    assert!(bytes.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''Report%202026.pdf"));
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), b"%PDF-1.7\nhello");
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["used_bytes"], 14);
}

async fn tampered_and_expired_upload_urls_are_refused(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let (_, t) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "a.txt", "size": 5, "content_type": "text/plain"}),
        )
        .await;
    let mut tampered = t["upload"].clone();
    let url = tampered["url"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        &url[..url.len() - 1],
        if url.ends_with('a') { 'b' } else { 'a' }
    );
    tampered["url"] = json!(flipped);
    let status = put_to(&tampered, b"hello".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = alice
        .post(
            &format!(
                "/api/documents/{}/confirm",
                t["document_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing was stored");

    // An upload URL used after its expiry. The filesystem store checks against the server's
    // clock, moved past the expiry here; the S3 server checks its own (real) clock, so the S3
    // side of this is in the blob port suite (`blob_s3::expired_urls_are_refused`).
    if backend == Backend::Fs {
        let (_, t) = alice
            .post(
                "/api/documents/upload-url",
                json!({"filename": "late.txt", "size": 5, "content_type": "text/plain"}),
            )
            .await;
        app.shift_clock(chrono::Duration::hours(2));
        let status = put_to(&t["upload"], b"hello".to_vec()).await;
        app.shift_clock(chrono::Duration::zero());
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

async fn confirm_without_upload_or_with_a_wrong_size(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let (_, t) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "nothing.txt", "size": 5, "content_type": "text/plain"}),
        )
        .await;
    let (status, problem) = alice
        .post(
            &format!(
                "/api/documents/{}/confirm",
                t["document_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "upload_missing");

    // The object is put directly (as a misbehaving client could through another path) with a
    // different size than declared.
    let (_, t) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "short.txt", "size": 10, "content_type": "text/plain"}),
        )
        .await;
    let id = t["document_id"].as_str().unwrap();
    app.put_object(alice.id, id, b"only 9 b.").await;
    let (status, problem) = alice
        .post(&format!("/api/documents/{id}/confirm"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "size_mismatch");
    assert!(
        !app.object_exists(alice.id, id).await,
        "the object was deleted"
    );
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["used_bytes"], 0, "no quota spent");
    let (status, _) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn fifty_concurrent_uploads_race_a_quota(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let (status, _) = admin
        .put(
            &format!("/api/admin/users/{}/quota", alice.id),
            json!({"limit_bytes": 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = vec![b'x'; 100];
    // All 50 pass the advisory pre-check, upload, then confirm at once.
    let mut tickets = Vec::new();
    for i in 0..50 {
        let (status, t) = alice
            .post(
                "/api/documents/upload-url",
                json!({"filename": format!("f{i}.txt"), "size": 100, "content_type": "text/plain"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        assert!(put_to(&t["upload"], body.clone()).await.is_success());
        tickets.push(t["document_id"].as_str().unwrap().to_owned());
    }
    let confirms = tickets.iter().map(|id| {
        let alice = alice.clone();
        let id = id.clone();
        tokio::spawn(async move {
            alice
                .post(&format!("/api/documents/{id}/confirm"), json!({}))
                .await
        })
    });
    let mut ok = 0;
    for c in confirms {
        let (status, body) = c.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::PAYLOAD_TOO_LARGE => assert_eq!(body["code"], "quota_exceeded"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 10, "exactly the uploads that fit succeed");
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["used_bytes"], 1000);
    assert!(quota["used_bytes"].as_u64() <= quota["limit_bytes"].as_u64());
    // Over the limit at request time: the advisory check answers 413 with the numbers.
    let (status, problem) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "more.txt", "size": 1, "content_type": "text/plain"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["code"], "quota_exceeded");
    assert_eq!(problem["limit_bytes"], 1000);
    assert_eq!(problem["used_bytes"], 1000);
}

async fn another_users_ids_answer_404_on_every_route(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let mallory = app.user("mallory").await;
    let doc = upload(&alice, "secret.pdf", "application/pdf", b"%PDF-1.7 secret").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let (_, folder) = alice.post("/api/folders", json!({"name": "Private"})).await;
    let fid = folder["id"].as_str().unwrap().to_owned();
    app.user("bob").await;
    let (_, share) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "bob", "permission": "view"}),
        )
        .await;
    let sid = share["id"].as_str().unwrap().to_owned();
    let (_, t) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "pending.txt", "size": 3, "content_type": "text/plain"}),
        )
        .await;
    let pending = t["document_id"].as_str().unwrap().to_owned();

    let missing = uuid::Uuid::now_v7().to_string();
    for target in [&id, &missing] {
        let checks: Vec<(StatusCode, Value)> = vec![
            mallory.get(&format!("/api/documents/{target}")).await,
            mallory
                .patch(
                    &format!("/api/documents/{target}"),
                    json!({"filename": "x"}),
                )
                .await,
            mallory.delete(&format!("/api/documents/{target}")).await,
            mallory
                .post(&format!("/api/documents/{target}/restore"), json!({}))
                .await,
            mallory
                .get(&format!("/api/documents/{target}/download"))
                .await,
            mallory
                .post(
                    &format!("/api/documents/{target}/shares"),
                    json!({"handle": "mallory", "permission": "download"}),
                )
                .await,
            mallory
                .get(&format!("/api/documents/{target}/shares"))
                .await,
            mallory
                .delete(&format!("/api/documents/{target}/shares/{sid}"))
                .await,
            mallory.delete(&format!("/api/trash/{target}")).await,
        ];
        for (i, (status, body)) in checks.into_iter().enumerate() {
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "check {i} on {target}: {body}"
            );
            assert_eq!(body["code"], "not_found");
        }
    }
    let (status, _) = mallory
        .post(&format!("/api/documents/{pending}/confirm"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (status, body) in [
        mallory.patch(&format!("/api/folders/{fid}"), json!({"name": "mine"})).await,
        mallory.delete(&format!("/api/folders/{fid}")).await,
        mallory.post("/api/folders", json!({"name": "x", "parent_id": fid})).await,
        mallory
            .post(
                "/api/documents/upload-url",
                json!({"filename": "x.txt", "size": 1, "content_type": "text/plain", "folder_id": fid}),
            )
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // Nothing of alice's shows up in mallory's lists.
    let (_, page) = mallory.get("/api/documents").await;
    assert!(page["items"].as_array().unwrap().is_empty());
    let (_, folders) = mallory.get("/api/folders").await;
    assert!(folders.as_array().unwrap().is_empty());
    // Unauthenticated requests are refused outright.
    let anon = reqwest::get(format!("{}/api/documents", app.base_url))
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
}

async fn shares_revocation_and_the_recipients_limits(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let doc = upload(&alice, "plan.pdf", "application/pdf", b"%PDF-1.7 plan").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let (status, share) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "@bob", "permission": "view"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    assert_eq!(share["recipient"]["handle"], "bob");
    assert_eq!(share["permission"], "view");
    let (status, _) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "bob", "permission": "download"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already shared");
    let (status, _) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "nobody-here", "permission": "view"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "alice", "permission": "view"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "carol", "permission": "download"}),
        )
        .await;

    // Bob sees the metadata, nothing more.
    let (status, got) = bob.get(&format!("/api/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["owner"]["handle"], "alice");
    let (_, shared) = bob.get("/api/shared-with-me").await;
    assert_eq!(shared["items"][0]["permission"], "view");
    assert_eq!(shared["items"][0]["owner"]["handle"], "alice");
    assert_eq!(
        bob.get(&format!("/api/documents/{id}/download")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.patch(
            &format!("/api/documents/{id}"),
            json!({"filename": "mine.pdf"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.delete(&format!("/api/documents/{id}")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "carol", "permission": "view"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.get(&format!("/api/documents/{id}/shares")).await.0,
        StatusCode::FORBIDDEN
    );
    // Carol may download.
    let res = carol
        .get_raw(&format!("/api/documents/{id}/download"))
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);

    // Revocation takes effect immediately.
    let sid = share["id"].as_str().unwrap();
    assert_eq!(
        alice
            .delete(&format!("/api/documents/{id}/shares/{sid}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        bob.get(&format!("/api/documents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, shared) = bob.get("/api/shared-with-me").await;
    assert!(shared["items"].as_array().unwrap().is_empty());
    // So does trashing.
    alice.delete(&format!("/api/documents/{id}")).await;
    assert_eq!(
        carol.get(&format!("/api/documents/{id}/download")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        carol.get(&format!("/api/documents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, shares) = alice.get(&format!("/api/documents/{id}/shares")).await;
    assert_eq!(
        shares.as_array().unwrap().len(),
        1,
        "carol's share remains, dormant"
    );
}

async fn folders_never_form_a_cycle(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let (status, a) = alice.post("/api/folders", json!({"name": "A"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let a = a["id"].as_str().unwrap().to_owned();
    let (_, b) = alice
        .post("/api/folders", json!({"name": "B", "parent_id": a}))
        .await;
    let b = b["id"].as_str().unwrap().to_owned();
    let (_, c) = alice
        .post("/api/folders", json!({"name": "C", "parent_id": b}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    for (folder, parent) in [(&a, &c), (&a, &a), (&b, &c)] {
        let (status, body) = alice
            .patch(
                &format!("/api/folders/{folder}"),
                json!({"parent_id": parent}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "folder_cycle");
    }
    let (status, moved) = alice
        .patch(&format!("/api/folders/{c}"), json!({"parent_id": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert!(moved["parent_id"].is_null());
    // Names are unique per parent, ignoring case.
    let (status, body) = alice.post("/api/folders", json!({"name": "a"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "name_taken");
    // Not empty → 409 unless recursive; recursive trashes the content.
    let doc = upload(&alice, "in-b.txt", "text/plain", b"in b").await;
    let did = doc["id"].as_str().unwrap();
    alice
        .patch(&format!("/api/documents/{did}"), json!({"folder_id": b}))
        .await;
    let (status, body) = alice.delete(&format!("/api/folders/{a}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "folder_not_empty");
    assert_eq!(
        alice
            .delete(&format!("/api/folders/{a}?recursive=true"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, trash) = alice.get("/api/trash").await;
    assert_eq!(trash["items"][0]["id"], doc["id"]);
    let (_, tree) = alice.get("/api/folders").await;
    let names: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["C"]);
}

async fn trash_restore_purge_and_quota(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let doc = upload(&alice, "a.txt", "text/plain", &[b'a'; 300]).await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let (status, trashed) = alice.delete(&format!("/api/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trashed["status"], "trashed");
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["used_bytes"], 300, "trash still counts");
    let (_, list) = alice.get("/api/documents").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (status, restored) = alice
        .post(&format!("/api/documents/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(restored["status"], "uploaded");
    assert_eq!(
        alice.delete(&format!("/api/trash/{id}")).await.0,
        StatusCode::CONFLICT,
        "only trashed documents are purged"
    );
    alice.delete(&format!("/api/documents/{id}")).await;
    assert_eq!(
        alice.delete(&format!("/api/trash/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["used_bytes"], 0, "purge frees");
    assert!(
        !app.object_exists(alice.id, &id).await,
        "the bytes are gone"
    );
    assert_eq!(
        alice.get(&format!("/api/documents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Automatic purge after the retention period, by the sweeper.
    let old = upload(&alice, "old.txt", "text/plain", b"old").await;
    let oid = old["id"].as_str().unwrap().to_owned();
    alice.delete(&format!("/api/documents/{oid}")).await;
    app.sweep_after(chrono::Duration::days(29)).await;
    assert_eq!(
        alice.get(&format!("/api/documents/{oid}")).await.0,
        StatusCode::OK,
        "not yet"
    );
    app.sweep_after(chrono::Duration::days(31)).await;
    assert_eq!(
        alice.get(&format!("/api/documents/{oid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!app.object_exists(alice.id, &oid).await);

    // Abandoned uploads expire and their objects are removed.
    let (_, t) = alice
        .post(
            "/api/documents/upload-url",
            json!({"filename": "never.txt", "size": 5, "content_type": "text/plain"}),
        )
        .await;
    let pid = t["document_id"].as_str().unwrap().to_owned();
    assert!(put_to(&t["upload"], b"hello".to_vec()).await.is_success());
    let (_, quota) = alice.get("/api/quota").await;
    assert_eq!(quota["reserved_bytes"], 5);
    app.sweep_after(chrono::Duration::hours(2)).await;
    assert!(!app.object_exists(alice.id, &pid).await);
    assert_eq!(
        alice
            .post(&format!("/api/documents/{pid}/confirm"), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn hostile_filenames_are_refused_or_normalised(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    for bad in [
        "../etc/passwd",
        "a\\b",
        "nul\u{0}byte",
        "bidi\u{202E}fdp.exe",
        "line\nbreak",
        "",
        "..",
        &"x".repeat(300),
    ] {
        let (status, body) = alice
            .post(
                "/api/documents/upload-url",
                json!({"filename": bad, "size": 1, "content_type": "text/plain"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["code"], "invalid_name");
    }
    let doc = upload(&alice, "  Cafe\u{301}.txt ", "text/plain", b"nfc").await;
    assert_eq!(doc["filename"], "Caf\u{e9}.txt");
    let (status, _) = alice
        .patch(
            &format!("/api/documents/{}", doc["id"].as_str().unwrap()),
            json!({"filename": "a/b"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn html_is_downloaded_as_an_inert_attachment(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    // Declared as a PDF; the bytes say HTML.
    let doc = upload(
        &alice,
        "page.html",
        "application/pdf",
        b"<!DOCTYPE html><script>alert(1)</script>",
    )
    .await;
    assert_eq!(doc["content_type"], "text/html");
    let res = alice
        .get_raw(&format!(
            "/api/documents/{}/download",
            doc["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let served = reqwest::get(&location).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert!(served.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_ne!(served.headers()["content-type"], "text/html");
}

async fn multipart_one_step_upload(backend: Backend) {
    let app = DocApp::spawn(backend).await;
    let alice = app.user("alice").await;
    let (_, folder) = alice.post("/api/folders", json!({"name": "Inbox"})).await;
    let fid = folder["id"].as_str().unwrap().to_owned();
    let body = vec![b'z'; 3 * 1024 * 1024];
    let (status, doc) = alice
        .multipart("/api/documents", Some(&fid), "big.bin", body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["size_bytes"], body.len());
    assert_eq!(doc["folder_id"], fid.as_str());
    let (_, page) = alice.get(&format!("/api/documents?folder_id={fid}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}
