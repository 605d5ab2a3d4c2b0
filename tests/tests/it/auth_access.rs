//! Access control: deactivation and password changes cut off existing tokens at once, roles and
//! the admin routes (list, create, patch), and the acting admin in the events' metadata.

use domain::user::Role;
use reqwest::Method;
use serde_json::json;

use crate::auth_support::{Api, PASSWORD};

#[tokio::test]
async fn deactivation_cuts_off_existing_tokens_at_once() {
    let api = Api::spawn().await;
    let admin = api.with_role("boss", Role::Admin).await;
    let ann = api.user("ann").await;
    api.get("/api/auth/me", Some(&ann.access)).await.expect(200);
    let patched = api
        .call(
            Method::PATCH,
            &format!("/api/admin/users/{}", ann.id),
            Some(&admin.access),
            Some(json!({"is_active": false})),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["is_active"], false);
    api.get("/api/auth/me", Some(&ann.access))
        .await
        .expect_problem(401, "token_revoked");
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
    // Reactivated, the account can sign in again; the old tokens stay dead.
    api.call(
        Method::PATCH,
        &format!("/api/admin/users/{}", ann.id),
        Some(&admin.access),
        Some(json!({"is_active": true})),
    )
    .await
    .expect(200);
    api.get("/api/auth/me", Some(&ann.access))
        .await
        .expect_problem(401, "token_revoked");
    let again = api.login(&ann.email, PASSWORD, None).await.expect(200);
    api.get("/api/auth/me", again.body["access_token"].as_str())
        .await
        .expect(200);
}

#[tokio::test]
async fn a_password_change_cuts_off_every_session() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let second = api.login(&ann.email, PASSWORD, None).await.expect(200);
    api.post(
        "/api/auth/password",
        Some(&ann.access),
        json!({"current_password": "not the right password", "new_password": "a whole new secret phrase"}),
    )
    .await
    .expect_problem(403, "wrong_password");
    api.post(
        "/api/auth/password",
        Some(&ann.access),
        json!({"current_password": PASSWORD, "new_password": "short"}),
    )
    .await
    .expect_problem(422, "password_too_short");
    api.post(
        "/api/auth/password",
        Some(&ann.access),
        json!({"current_password": PASSWORD, "new_password": "a whole new secret phrase"}),
    )
    .await
    .expect(204);
    // The access token used for the change, and every refresh family, are dead at once.
    api.get("/api/auth/me", Some(&ann.access))
        .await
        .expect_problem(401, "token_revoked");
    api.get("/api/auth/me", second.body["access_token"].as_str())
        .await
        .expect_problem(401, "token_revoked");
    for refresh in [
        ann.refresh.as_str(),
        second.body["refresh_token"].as_str().unwrap(),
    ] {
        api.post("/api/auth/refresh", None, json!({"refresh_token": refresh}))
            .await
            .expect_problem(401, "invalid_refresh_token");
    }
    api.login(&ann.email, PASSWORD, None)
        .await
        .expect_problem(401, "invalid_credentials");
    // A login right after the change (same second) works.
    let fresh = api
        .login(&ann.email, "a whole new secret phrase", None)
        .await
        .expect(200);
    api.get("/api/auth/me", fresh.body["access_token"].as_str())
        .await
        .expect(200);
}

#[tokio::test]
async fn users_and_auditors_get_403_on_admin_routes() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let auditor = api.with_role("audrey", Role::Auditor).await;
    for who in [&ann, &auditor] {
        api.get("/api/admin/users", Some(&who.access))
            .await
            .expect_problem(403, "forbidden");
        api.post(
            "/api/admin/users",
            Some(&who.access),
            json!({"email": "x@example.org", "handle": "xxx", "password": PASSWORD}),
        )
        .await
        .expect_problem(403, "forbidden");
        api.call(
            Method::PATCH,
            &format!("/api/admin/users/{}", ann.id),
            Some(&who.access),
            Some(json!({"role": "admin"})),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    api.get("/api/admin/users", None)
        .await
        .expect_problem(401, "unauthenticated");
    // The auditor is still an account: it can see itself.
    let me = api
        .get("/api/auth/me", Some(&auditor.access))
        .await
        .expect(200);
    assert_eq!(me.body["role"], "auditor");
}

#[tokio::test]
async fn admins_create_list_filter_and_page_users() {
    let api = Api::spawn().await;
    let admin = api.with_role("boss", Role::Admin).await;
    let created = api
        .post(
            "/api/admin/users",
            Some(&admin.access),
            json!({"email": "Audit@Example.org", "handle": "audit_team", "password": PASSWORD, "role": "auditor"}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["role"], "auditor");
    assert_eq!(created.body["email"], "audit@example.org");
    for h in ["carol", "dave", "erin"] {
        api.user(h).await;
    }
    let all = api
        .get("/api/admin/users?limit=2", Some(&admin.access))
        .await
        .expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let mut seen: Vec<String> = Vec::new();
    let mut page = all.body;
    loop {
        for item in page["items"].as_array().unwrap() {
            seen.push(item["handle"].as_str().unwrap().to_owned());
            assert!(item["is_active"].is_boolean() && item["totp_enabled"].is_boolean());
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                page = api
                    .get(
                        &format!("/api/admin/users?limit=2&cursor={c}"),
                        Some(&admin.access),
                    )
                    .await
                    .expect(200)
                    .body
            }
            None => break,
        }
    }
    assert_eq!(seen, ["boss", "audit_team", "carol", "dave", "erin"]);
    let filtered = api
        .get("/api/admin/users?q=AUDIT", Some(&admin.access))
        .await
        .expect(200);
    let handles: Vec<_> = filtered.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["audit_team"]);
    let percent = api
        .get("/api/admin/users?q=%25", Some(&admin.access))
        .await
        .expect(200);
    assert_eq!(percent.body["items"], json!([]), "`%` is taken literally");
    api.get("/api/admin/users?cursor=bogus", Some(&admin.access))
        .await
        .expect_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn role_changes_apply_at_once_and_record_the_acting_admin() {
    let api = Api::spawn().await;
    let admin = api.with_role("boss", Role::Admin).await;
    let ann = api.user("ann").await;
    api.get("/api/admin/users", Some(&ann.access))
        .await
        .expect(403);
    let patched = api
        .call(
            Method::PATCH,
            &format!("/api/admin/users/{}", ann.id),
            Some(&admin.access),
            Some(json!({"role": "admin"})),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["role"], "admin");
    // Ann's existing token now carries admin rights (roles are checked server-side).
    api.get("/api/admin/users", Some(&ann.access))
        .await
        .expect(200);
    let events = api.events().await;
    let change = events
        .iter()
        .find(|e| e.1 == "RoleChanged")
        .expect("RoleChanged recorded");
    assert_eq!(change.0, format!("user-{}", ann.id));
    assert_eq!(change.2, json!({"from": "user", "to": "admin"}));
    assert_eq!(change.3["actor_id"], admin.id.as_str());

    // Admins cannot lock themselves out; unknown ids are 404.
    api.call(
        Method::PATCH,
        &format!("/api/admin/users/{}", admin.id),
        Some(&admin.access),
        Some(json!({"is_active": false})),
    )
    .await
    .expect_problem(409, "cannot_modify_self");
    api.call(
        Method::PATCH,
        &format!("/api/admin/users/{}", uuid::Uuid::now_v7()),
        Some(&admin.access),
        Some(json!({"role": "user"})),
    )
    .await
    .expect_problem(404, "not_found");
    api.call(
        Method::PATCH,
        "/api/admin/users/not-a-uuid",
        Some(&admin.access),
        Some(json!({"role": "user"})),
    )
    .await
    .expect_problem(404, "not_found");
}

#[tokio::test]
async fn the_openapi_document_lists_the_auth_contract() {
    let api = Api::spawn().await;
    let spec = api.get("/api/openapi.json", None).await.expect(200).body;
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/password", "post"),
        ("/api/auth/totp/enroll", "post"),
        ("/api/auth/totp/confirm", "post"),
        ("/api/auth/totp/disable", "post"),
        ("/api/admin/users", "get"),
        ("/api/admin/users", "post"),
        ("/api/admin/users/{id}", "patch"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path}");
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let login_params = spec["paths"]["/api/auth/login"]["post"]["parameters"]
        .as_array()
        .unwrap();
    assert!(login_params.iter().any(|p| p["name"] == "cookie"));
}
