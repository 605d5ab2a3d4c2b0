//! Black-box tests of document intelligence through the HTTP API, with the processing worker
//! running in the app as `docuvault serve` runs it: uploads become `ready` with their text
//! searchable and a topic suggested; topics, document topics, search and classifier settings,
//! each with its authorisation (other users get 404, no existence leaks); duplicates flagged;
//! a failing remote classifier falls back to the built-in one.

use std::time::{Duration, Instant};

use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use infra::extract::samples;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Uploads through the one-step multipart route.
async fn upload(c: &Client, filename: &str, bytes: Vec<u8>) -> Value {
    let (status, doc) = c.multipart("/api/documents", None, filename, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    doc
}

/// Polls the document until processing ended (bounded), and returns its topics view.
async fn processed(c: &Client, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (status, t) = c.get(&format!("/api/documents/{id}/topics")).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        if t["status"] == "ready" || t["status"] == "error" {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "document {id} still {} after 90 s",
            t["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn create_topic(c: &Client, body: Value) -> String {
    let (status, t) = c.post("/api/topics", body).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn uploads_become_ready_searchable_and_classified() {
    let app = DocApp::spawn_processing(Backend::Fs).await;
    let alice = app.user("alice").await;
    let invoices = create_topic(&alice, json!({"name": "Invoices", "keywords": ["invoice"]})).await;
    let txt = upload(
        &alice,
        "scan-0042.txt",
        b"Invoice 4711 from Zebrafish Supplies Ltd, payable within thirty days.".to_vec(),
    )
    .await;
    let pdf = upload(
        &alice,
        "habitats.pdf",
        samples::pdf(&[
            "Quarterly report on zebrafish habitats",
            "Prepared by the lab",
        ]),
    )
    .await;
    let (txt_id, pdf_id) = (
        txt["id"].as_str().unwrap().to_owned(),
        pdf["id"].as_str().unwrap().to_owned(),
    );

    let t = processed(&alice, &txt_id).await;
    assert_eq!(t["status"], "ready", "{t}");
    assert_eq!(t["extraction"], "native");
    assert_eq!(t["topic_ids"], json!([invoices]), "{t}");
    assert_eq!(t["suggested"], json!([invoices]));
    assert_eq!(t["topics_source"], "auto");
    assert_eq!(t["provider"], "builtin");
    let p = processed(&alice, &pdf_id).await;
    assert_eq!(p["status"], "ready", "{p}");
    assert_eq!(p["topic_ids"], json!([]));
    // The document's own row is another projection's: it follows the processing row shortly.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, doc) = alice.get(&format!("/api/documents/{pdf_id}")).await;
        if doc["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "the document still reads {doc}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Content, prefix and phrase; both formats; highlighted.
    let (status, hits) = alice.get("/api/search?q=zebrafish").await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let found = ids(&hits);
    assert!(found.contains(&txt_id) && found.contains(&pdf_id), "{hits}");
    assert!(hits["items"][0]["snippet"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("<mark>zebrafish</mark>"));
    let (_, hits) = alice.get("/api/search?q=zebraf").await;
    assert_eq!(ids(&hits).len(), 2, "prefix: {hits}");
    let (_, hits) = alice.get("/api/search?q=%22quarterly%20report%22").await;
    assert_eq!(ids(&hits), vec![pdf_id.clone()], "phrase: {hits}");
    let (_, hits) = alice.get("/api/search?q=%22report%20quarterly%22").await;
    assert!(ids(&hits).is_empty(), "word order matters in a phrase");
    // By topic name, and filtered by topic.
    let (_, hits) = alice.get("/api/search?q=invoices").await;
    assert_eq!(ids(&hits), vec![txt_id.clone()]);
    let (_, hits) = alice
        .get(&format!("/api/search?q=zebrafish&topic={invoices}"))
        .await;
    assert_eq!(ids(&hits), vec![txt_id.clone()]);
    // `q` on the listing uses the same index, own documents only.
    let (status, page) = alice.get("/api/documents?q=payable").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), vec![txt_id.clone()]);
    assert_eq!(page["items"][0]["topic_ids"], json!([invoices]));
    let (status, _) = alice.get("/api/search?q=%20").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn topics_are_per_user_and_system_topics_admin_managed() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let admin = app.admin("root").await;

    let mine = create_topic(&alice, json!({"name": "Taxes", "keywords": ["Tax Return"]})).await;
    let (_, list) = alice.get("/api/topics").await;
    assert_eq!(list["items"][0]["keywords"], json!(["tax return"]));
    assert_eq!(list["items"][0]["system"], false);
    let (_, list) = bob.get("/api/topics").await;
    assert!(ids(&list).is_empty(), "{list}");
    for (status, _) in [
        bob.patch(&format!("/api/topics/{mine}"), json!({"name": "x"}))
            .await,
        bob.delete(&format!("/api/topics/{mine}")).await,
        admin
            .patch(&format!("/api/topics/{mine}"), json!({"name": "x"}))
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = bob
        .post("/api/topics", json!({"name": "Everyone", "system": true}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = alice.post("/api/topics", json!({"name": "  "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let system = create_topic(
        &admin,
        json!({"name": "Receipts", "keywords": ["receipt"], "system": true}),
    )
    .await;
    let (_, list) = bob.get("/api/topics").await;
    assert_eq!(ids(&list), vec![system.clone()]);
    assert_eq!(list["items"][0]["system"], true);
    let (status, _) = bob
        .patch(
            &format!("/api/topics/{system}"),
            json!({"name": "Mine now"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, t) = admin
        .patch(
            &format!("/api/topics/{system}"),
            json!({"keywords": ["receipt", "till"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["keywords"], json!(["receipt", "till"]));

    // A user topic shadows the system one in its owner's view only.
    let shadow = create_topic(&bob, json!({"name": "My receipts", "shadows": system})).await;
    let (_, list) = bob.get("/api/topics").await;
    assert_eq!(ids(&list), vec![shadow.clone()]);
    let (_, list) = alice.get("/api/topics").await;
    assert!(ids(&list).contains(&system));
    let (status, _) = bob
        .post("/api/topics", json!({"name": "Bad", "shadows": mine}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only system topics can be shadowed"
    );

    let (status, t) = alice
        .patch(&format!("/api/topics/{mine}"), json!({"name": "Tax"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t["name"], "Tax");
    let (status, _) = alice.delete(&format!("/api/topics/{mine}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = alice.delete(&format!("/api/topics/{mine}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn document_topics_search_and_duplicates_respect_ownership() {
    let app = DocApp::spawn_processing(Backend::Fs).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mallory = app.user("mallory").await;
    let travel = create_topic(&alice, json!({"name": "Travel"})).await;
    let bobs_topic = create_topic(&bob, json!({"name": "Bob's"})).await;
    let bytes = b"Kumquat orchard lease, signed in Valencia.".to_vec();
    let doc = upload(&alice, "lease.txt", bytes.clone()).await;
    let id = doc["id"].as_str().unwrap().to_owned();
    assert!(doc.get("duplicate_of").is_none(), "{doc}");
    processed(&alice, &id).await;

    // Nobody else finds it or can touch its topics; a stranger cannot tell it exists.
    for c in [&bob, &mallory] {
        let (_, hits) = c.get("/api/search?q=kumquat").await;
        assert!(ids(&hits).is_empty(), "{hits}");
    }
    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/documents/{id}"),
        format!("/api/documents/{unknown}"),
    ] {
        let (s1, b1) = mallory.get(&format!("{path}/topics")).await;
        let (s2, b2) = mallory
            .put(&format!("{path}/topics"), json!({"topic_ids": []}))
            .await;
        let (s3, b3) = mallory.post(&format!("{path}/reclassify"), json!({})).await;
        for (s, b) in [(s1, b1), (s2, b2), (s3, b3)] {
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {b}");
            assert_eq!(b["code"], "not_found");
        }
    }

    // Shared with bob: he finds it and reads its topics, but may not change them.
    let (status, share) = alice
        .post(
            &format!("/api/documents/{id}/shares"),
            json!({"handle": "bob", "permission": "view"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    let (_, hits) = bob.get("/api/search?q=kumquat").await;
    assert_eq!(ids(&hits), vec![id.clone()]);
    assert_eq!(hits["items"][0]["shared"], true);
    assert_eq!(hits["items"][0]["ranked"], true, "one match: ranked");
    assert_eq!(hits["items"][0]["owner"]["handle"], "alice");
    let (_, page) = bob.get("/api/documents?q=kumquat").await;
    assert!(ids(&page).is_empty(), "the listing is of own documents");
    let (status, _) = bob.get(&format!("/api/documents/{id}/topics")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = bob
        .put(
            &format!("/api/documents/{id}/topics"),
            json!({"topic_ids": []}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bob
        .post(&format!("/api/documents/{id}/reclassify"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sid = share["id"].as_str().unwrap();
    let (status, _) = alice
        .delete(&format!("/api/documents/{id}/shares/{sid}"))
        .await;
    assert!(status.is_success(), "revoke: {status}");
    let (_, hits) = bob.get("/api/search?q=kumquat").await;
    assert!(ids(&hits).is_empty(), "revoked: {hits}");

    // The owner sets topics by hand (only her own), and reruns the classifier.
    let (status, err) = alice
        .put(
            &format!("/api/documents/{id}/topics"),
            json!({"topic_ids": [bobs_topic]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], "unknown_topic");
    let (status, t) = alice
        .put(
            &format!("/api/documents/{id}/topics"),
            json!({"topic_ids": [travel]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["topic_ids"], json!([travel]));
    assert_eq!(t["topics_source"], "overridden");
    let (_, hits) = alice
        .get(&format!("/api/search?q=kumquat&topic={travel}"))
        .await;
    assert_eq!(ids(&hits), vec![id.clone()]);
    // The built-in model learned from the hand-set document: a similar new one is put there.
    let similar = upload(
        &alice,
        "renewal.txt",
        b"Renewal of the kumquat orchard lease in Valencia.".to_vec(),
    )
    .await;
    let t = processed(&alice, similar["id"].as_str().unwrap()).await;
    assert_eq!(t["topic_ids"], json!([travel]), "{t}");
    let (status, t) = alice
        .post(&format!("/api/documents/{id}/reclassify"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{t}");
    let t = processed(&alice, &id).await;
    assert_eq!(t["status"], "ready", "{t}");
    assert_eq!(t["topics_source"], "auto");

    // The same bytes again: stored, but flagged as a duplicate of the first; not across users.
    let again = upload(&alice, "lease copy.txt", bytes.clone()).await;
    assert_eq!(again["duplicate_of"], json!(id), "{again}");
    let (_, listed) = alice
        .get(&format!("/api/documents/{}", again["id"].as_str().unwrap()))
        .await;
    assert_eq!(listed["duplicate_of"], json!(id));
    let bobs = upload(&bob, "lease.txt", bytes).await;
    assert!(bobs.get("duplicate_of").is_none(), "{bobs}");
}

#[tokio::test]
async fn classifier_settings_are_admin_managed_keys_never_returned_and_failures_fall_back() {
    let app = DocApp::spawn_processing(Backend::Fs).await;
    let alice = app.user("alice").await;
    let admin = app.admin("root").await;
    let secret = format!("sk-test-{}", uuid::Uuid::new_v4().simple());

    let (status, _) = alice.get("/api/admin/settings/classifier").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = alice
        .put(
            "/api/admin/settings/classifier",
            json!({"provider": "builtin"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, s) = admin.get("/api/admin/settings/classifier").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["provider"], "builtin");
    let (status, err) = admin
        .put(
            "/api/admin/settings/classifier",
            json!({"provider": "openai", "base_url": "ftp://x", "model": "m"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");

    // A remote provider nobody answers at: port 9 (discard) on loopback refuses at once.
    let (status, s) = admin
        .put(
            "/api/admin/settings/classifier",
            json!({"provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                   "model": "gpt-test", "timeout_secs": 2, "api_key": secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["api_key_set"], true);
    let (_, s) = admin.get("/api/admin/settings/classifier").await;
    assert!(!s.to_string().contains(&secret), "{s}");
    assert_eq!(s["model"], "gpt-test");
    let plaintext: i64 =
        sqlx::query_scalar("select count(*) from events where data::text like '%' || $1 || '%'")
            .bind(&secret)
            .fetch_one(&app.app.db.pool)
            .await
            .unwrap();
    assert_eq!(plaintext, 0, "the API key is stored encrypted");

    let (_, own) = alice.get("/api/settings/classifier").await;
    assert_eq!(own["provider"], "default");
    assert_eq!(own["system_provider"], "openai");
    let topic = create_topic(&alice, json!({"name": "Bills", "keywords": ["bill"]})).await;
    let doc = upload(&alice, "bill.txt", b"Electricity bill for March".to_vec()).await;
    let t = processed(&alice, doc["id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "ready", "{t}");
    assert_eq!(t["provider"], "builtin");
    assert_eq!(t["fell_back"], true, "{t}");
    assert_eq!(t["topic_ids"], json!([topic]));

    // A user may keep their documents on the server: built-in only, no fallback needed.
    let (status, own) = alice
        .put("/api/settings/classifier", json!({"provider": "builtin"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["provider"], "builtin");
    let (status, _) = alice
        .put("/api/settings/classifier", json!({"provider": "openai"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let doc = upload(&alice, "bill2.txt", b"Water bill for April".to_vec()).await;
    let t = processed(&alice, doc["id"].as_str().unwrap()).await;
    assert_eq!(t["fell_back"], false, "{t}");
    assert_eq!(t["topic_ids"], json!([topic]));
}
