//! Black-box tests of `/api/admin/projections`: the list, a blue/green rebuild followed to its
//! end, resuming a halted projection, and who may call them.

use std::time::{Duration, Instant};

use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Polls the list until `pred` holds for the named projection (bounded).
pub async fn wait_for(admin: &Client, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, list) = admin.get("/api/admin/projections").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {list}"));
        if pred(&item) {
            return item;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting on {name}: {item}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn lists_every_projection_with_leader_checkpoint_and_lag() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    let (_, list) = admin.get("/api/admin/projections").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for expected in ["stream_stats", "users", "documents"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    let users = wait_for(&admin, "users", |p| {
        p["state"] == "running" && p["lag_events"] == 0
    })
    .await;
    assert!(users["version"].as_i64().unwrap() >= 1);
    assert!(users["checkpoint"]["position"].as_u64().unwrap() >= 1);
    assert_eq!(users["leader"]["alive"], true, "{users}");
    assert!(users["leader"]["process"].as_str().unwrap().contains(':'));
    assert_eq!(users["lag_seconds"], 0.0);
    assert!(users["last_error"].is_null());
}

#[tokio::test]
async fn rebuild_runs_blue_green_and_reports_progress() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    wait_for(&admin, "users", |p| p["state"] == "running").await;

    let (status, body) = admin
        .post("/api/admin/projections/users/rebuild", json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["name"], "users");
    assert!(!body["rebuild"].is_null(), "{body}");
    let done = wait_for(&admin, "users", |p| p["rebuild"]["state"] == "done").await;
    assert!(
        done["rebuild"]["events_done"].as_u64().unwrap() >= 2,
        "{done}"
    );
    assert!(done["rebuild"]["finished_at"].is_string());
    // Reads kept working and still do.
    let (status, me) = alice.get("/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["handle"], "alice");
    let (status, users) = admin.get("/api/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["items"].as_array().unwrap().len(), 2);

    let (status, _) = admin
        .post("/api/admin/projections/no_such/rebuild", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resume_clears_a_halt_and_refuses_when_not_halted() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    wait_for(&admin, "stream_stats", |p| p["state"] == "running").await;

    let (status, body) = admin
        .post("/api/admin/projections/stream_stats/resume", json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "not_halted");

    // A halt as the runtime records it when a handler fails.
    sqlx::query(
        "update projection_checkpoints set state = 'halted', last_error = 'boom at 3' \
         where name = 'stream_stats'",
    )
    .execute(&app.app.db.pool)
    .await
    .unwrap();
    let halted = wait_for(&admin, "stream_stats", |p| p["state"] == "halted").await;
    assert_eq!(halted["last_error"], "boom at 3");
    let (status, body) = admin
        .post("/api/admin/projections/stream_stats/resume", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["last_error"].is_null());
    assert_ne!(body["state"], "halted");
    let (status, _) = admin
        .post("/api/admin/projections/no_such/resume", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_admins_reach_projection_administration() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    let auditor = app.auditor("audrey").await;
    for c in [&alice, &auditor] {
        let (status, body) = c.get("/api/admin/projections").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = c
            .post("/api/admin/projections/users/rebuild", json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = c
            .post("/api/admin/projections/users/resume", json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = app.anonymous().get("/api/admin/projections").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, doc) = alice.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/admin/projections",
        "/api/admin/projections/{name}/rebuild",
        "/api/admin/projections/{name}/resume",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not in OpenAPI");
    }
}
