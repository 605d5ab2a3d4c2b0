//! "Sign out everywhere": `POST /api/auth/logout {"all": true}` with a bearer token revokes every
//! refresh family of the account, and nobody else's.

use serde_json::json;

use crate::auth_support::{Api, PASSWORD};

#[tokio::test]
async fn logout_all_revokes_every_session_of_the_caller_only() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    // A second device of ann's, and another user.
    let phone = api
        .login("ann@example.org", PASSWORD, None)
        .await
        .expect(200);
    let phone_refresh = phone.body["refresh_token"].as_str().unwrap().to_owned();
    let bob = api.user("bob").await;

    api.post("/api/auth/logout", Some(&ann.access), json!({"all": true}))
        .await
        .expect(204);

    for token in [&ann.refresh, &phone_refresh] {
        api.post("/api/auth/refresh", None, json!({"refresh_token": token}))
            .await
            .expect_problem(401, "invalid_refresh_token");
    }
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": bob.refresh}),
    )
    .await
    .expect(200);
    // Signing in again works: only the sessions ended, not the account.
    api.login("ann@example.org", PASSWORD, None)
        .await
        .expect(200);
}

#[tokio::test]
async fn logout_all_needs_a_bearer_token() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    // A refresh token alone (or nothing) cannot end every session.
    api.post(
        "/api/auth/logout",
        None,
        json!({"all": true, "refresh_token": ann.refresh}),
    )
    .await
    .expect_problem(401, "unauthenticated");
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect(200);
}
