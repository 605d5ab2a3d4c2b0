//! Point-in-time replay (`GET /api/audit/as-of` and `docuvault audit replay`) over a known
//! history — share granted, revoked, re-granted, document moved, trashed — at each instant, and
//! equal to the live read models when `at` is now.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::ops_audit::{share, upload};

fn enc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        .replace(':', "%3A")
}

async fn doc_at(auditor: &Client, id: &str, at: DateTime<Utc>) -> Value {
    let (status, body) = auditor
        .get(&format!("/api/audit/as-of?document_id={id}&at={}", enc(at)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["document"].clone()
}

async fn user_at(auditor: &Client, user: uuid::Uuid, at: DateTime<Utc>) -> Value {
    let (status, body) = auditor
        .get(&format!("/api/audit/as-of?user_id={user}&at={}", enc(at)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["user"].clone()
}

/// `(handle, access)` pairs of a document answer.
fn access(doc: &Value) -> Vec<(String, String)> {
    doc["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user"]["handle"].as_str().unwrap().to_owned(),
                a["access"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(h, a)| (h.to_string(), a.to_string()))
        .collect()
}

/// The instant just after the last write (the server's clock is the real one here).
async fn instant() -> DateTime<Utc> {
    let at = Utc::now();
    // Events of the next step must be recorded strictly after `at`.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    at
}

#[tokio::test]
async fn answers_match_a_known_history_and_the_live_read_models() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let auditor = app.auditor("audrey").await;
    let t0 = instant().await;
    let doc = upload(&alice, "Plan.txt", b"the plan").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let (_, folder) = alice.post("/api/folders", json!({"name": "Archive"})).await;
    let fid = folder["id"].as_str().unwrap().to_owned();
    let t1 = instant().await;
    let sid = share(&alice, &id, "bob", "view").await;
    let t2 = instant().await;
    let (status, _) = alice
        .delete(&format!("/api/documents/{id}/shares/{sid}"))
        .await;
    assert!(status.is_success());
    let t3 = instant().await;
    share(&alice, &id, "bob", "download").await;
    let t4 = instant().await;
    let (status, body) = alice
        .patch(&format!("/api/documents/{id}"), json!({"folder_id": fid}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let t5 = instant().await;

    // Live read models now, before the trash: the same answer as a replay up to now.
    let (_, live_doc) = alice.get(&format!("/api/documents/{id}")).await;
    let (_, live_shares) = alice.get(&format!("/api/documents/{id}/shares")).await;
    let (_, live_bob) = bob.get("/api/shared-with-me").await;
    let now = doc_at(&auditor, &id, Utc::now()).await;
    assert_eq!(now["filename"], live_doc["filename"]);
    assert_eq!(now["folder_id"], live_doc["folder_id"]);
    assert_eq!(now["owner"]["id"], live_doc["owner"]["id"]);
    let live_access: BTreeSet<(String, String)> = live_shares
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["recipient"]["handle"].as_str().unwrap().to_owned(),
                s["permission"].as_str().unwrap().to_owned(),
            )
        })
        .chain([("alice".to_owned(), "owner".to_owned())])
        .collect();
    assert_eq!(
        access(&now).into_iter().collect::<BTreeSet<_>>(),
        live_access
    );
    let bob_now = user_at(&auditor, bob.id, Utc::now()).await;
    let replayed: BTreeSet<&str> = bob_now["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].as_str().unwrap())
        .collect();
    let live: BTreeSet<&str> = live_bob["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(replayed, live);

    let (status, _) = alice.delete(&format!("/api/documents/{id}")).await;
    assert!(status.is_success());
    let t6 = instant().await;

    // Each instant of the history.
    assert_eq!(doc_at(&auditor, &id, t0).await["existed"], false);
    let d1 = doc_at(&auditor, &id, t1).await;
    assert_eq!(d1["filename"], "Plan.txt");
    assert!(d1["folder_id"].is_null());
    assert_eq!(access(&d1), pairs(&[("alice", "owner")]));
    assert_eq!(
        access(&doc_at(&auditor, &id, t2).await),
        pairs(&[("alice", "owner"), ("bob", "view")])
    );
    assert_eq!(
        access(&doc_at(&auditor, &id, t3).await),
        pairs(&[("alice", "owner")])
    );
    assert_eq!(
        access(&doc_at(&auditor, &id, t4).await),
        pairs(&[("alice", "owner"), ("bob", "download")])
    );
    let d5 = doc_at(&auditor, &id, t5).await;
    assert_eq!(d5["folder_id"], fid.as_str());
    assert_eq!(d5["status"], "active");
    let d6 = doc_at(&auditor, &id, t6).await;
    assert_eq!(d6["status"], "trashed");
    assert_eq!(access(&d6), pairs(&[("alice", "owner")]));

    // The user's view at the same instants.
    let bob_docs = |v: &Value| -> Vec<(String, String)> {
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["document_id"].as_str().unwrap().to_owned(),
                    d["access"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert!(bob_docs(&user_at(&auditor, bob.id, t1).await).is_empty());
    assert_eq!(
        bob_docs(&user_at(&auditor, bob.id, t2).await),
        vec![(id.clone(), "view".to_owned())]
    );
    assert!(bob_docs(&user_at(&auditor, bob.id, t3).await).is_empty());
    assert_eq!(
        bob_docs(&user_at(&auditor, bob.id, t4).await),
        vec![(id.clone(), "download".to_owned())]
    );
    assert!(bob_docs(&user_at(&auditor, bob.id, t6).await).is_empty());
    let (_, live_bob) = bob.get("/api/shared-with-me").await;
    assert!(live_bob["items"].as_array().unwrap().is_empty());
    let alice_t6 = user_at(&auditor, alice.id, t6).await;
    assert_eq!(bob_docs(&alice_t6), vec![(id.clone(), "owner".to_owned())]);

    // Replays are recorded; a query must name exactly one subject; users may not replay.
    let (_, page) = auditor
        .get("/api/audit/events?type=AuditReplayed&limit=200")
        .await;
    assert!(page["items"].as_array().unwrap().len() >= 12, "{page}");
    let (status, _) = auditor.get("/api/audit/as-of").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = bob.get(&format!("/api/audit/as-of?document_id={id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The CLI prints the same replay.
    let code = api::audit::cli::replay(
        (*app.app.config).clone(),
        Some(t4),
        None,
        Some(id.parse().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}
