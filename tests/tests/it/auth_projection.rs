//! The `users` projection: the identity read models are a pure function of the log, so a
//! blue/green rebuild reproduces them exactly.

use std::sync::Arc;

use domain::user::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::auth_support::Api;

async fn snapshot(api: &Api) -> Value {
    let mut all = serde_json::Map::new();
    for (table, order) in [
        ("users", "id"),
        ("refresh_token_families", "id"),
        ("login_history", "event_id"),
    ] {
        let rows: Value = sqlx::query_scalar(&format!(
            "select coalesce(json_agg(t order by {order}), '[]'::json) from {table} t"
        ))
        .fetch_one(&api.app.db.pool)
        .await
        .unwrap();
        all.insert(table.into(), rows);
    }
    Value::Object(all)
}

#[tokio::test]
async fn the_identity_read_models_rebuild_to_the_same_rows() {
    let api = Api::spawn().await;
    let admin = api.with_role("boss", Role::Admin).await;
    let ann = api.user("ann").await;
    api.login(&ann.email, "not the right password", None)
        .await
        .expect(401);
    api.login("nobody@example.org", "not the right password", None)
        .await
        .expect(401);
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect(200);
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect(401);
    api.call(
        Method::PATCH,
        &format!("/api/admin/users/{}", ann.id),
        Some(&admin.access),
        Some(json!({"role": "auditor", "is_active": false})),
    )
    .await
    .expect(200);
    // Read through the API with the last consistency token: the projection has caught up.
    let listed = api
        .get("/api/admin/users", Some(&admin.access))
        .await
        .expect(200);
    let ann_row = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["handle"] == "ann")
        .unwrap()
        .clone();
    assert_eq!(ann_row["role"], "auditor");
    assert_eq!(ann_row["is_active"], false);

    let before = snapshot(&api).await;
    let history = before["login_history"].as_array().unwrap();
    assert_eq!(history.len(), 4, "{history:#?}");
    assert!(history
        .iter()
        .any(|h| h["user_id"].is_null() && h["reason"] == "unknown_account"));
    assert!(history.iter().all(|h| h["client_ip"] == "127.0.0.1"));
    let families = before["refresh_token_families"].as_array().unwrap();
    assert!(families
        .iter()
        .any(|f| !f["reuse_detected_at"].is_null() && f["revoke_reason"] == "reuse_detected"));

    let store: Arc<dyn domain::ports::EventStore> = api.app.core.store.clone();
    projections::rebuild(
        &api.app.core.pool,
        store,
        Arc::new(projections::users::Users),
        projections::RuntimeOptions::default(),
        Arc::new(|_| {}),
    )
    .await
    .expect("rebuild users");
    assert_eq!(snapshot(&api).await, before);
}
