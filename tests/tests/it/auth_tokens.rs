//! Access and refresh tokens: rotation, reuse detection, concurrent refresh, logout, expiry on
//! the injected clock, and forged or tampered JWTs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use serde_json::json;

use crate::auth_support::{Api, PASSWORD};

#[tokio::test]
async fn refresh_rotates_the_pair() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let r1 = api
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": ann.refresh}),
        )
        .await
        .expect(200);
    let new_refresh = r1.body["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, ann.refresh);
    let access = r1.body["access_token"].as_str().unwrap();
    api.get("/api/auth/me", Some(access)).await.expect(200);
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": new_refresh}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn presenting_a_rotated_token_revokes_the_whole_family() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let other_session = api.login(&ann.email, PASSWORD, None).await.expect(200);
    let rotated = api
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": ann.refresh}),
        )
        .await
        .expect(200);
    // The old one again (a thief, or the victim after the thief): reuse.
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
    // The family is gone, so the legitimate successor is dead too…
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": rotated.body["refresh_token"]}),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
    // …while the other login's family lives on.
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": other_session.body["refresh_token"]}),
    )
    .await
    .expect(200);
    let types: Vec<_> = api.events().await.into_iter().map(|e| e.1).collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "RefreshTokenReuseDetected")
            .count(),
        1
    );
    assert!(types.iter().any(|t| t == "RefreshTokenRevoked"));
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_have_exactly_one_winner() {
    let api = std::sync::Arc::new(Api::spawn().await);
    let ann = api.user("ann").await;
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (api, token) = (api.clone(), ann.refresh.clone());
            tokio::spawn(async move {
                api.post("/api/auth/refresh", None, json!({"refresh_token": token}))
                    .await
                    .status
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 401, 401, 401, 401, 401]);
    let rotations = api
        .events()
        .await
        .into_iter()
        .filter(|e| e.1 == "RefreshTokenRotated")
        .count();
    assert_eq!(rotations, 1);
}

#[tokio::test]
async fn logout_revokes_the_family_and_always_answers_204() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    api.post(
        "/api/auth/logout",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect(204);
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
    api.post(
        "/api/auth/logout",
        None,
        json!({"refresh_token": ann.refresh}),
    )
    .await
    .expect(204);
    api.post(
        "/api/auth/logout",
        None,
        json!({"refresh_token": "nonsense"}),
    )
    .await
    .expect(204);
    api.post(
        "/api/auth/refresh",
        None,
        json!({"refresh_token": "nonsense"}),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
}

#[tokio::test]
async fn access_tokens_expire_after_fifteen_minutes_on_the_injected_clock() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    api.clock().advance(Duration::seconds(899));
    api.get("/api/auth/me", Some(&ann.access)).await.expect(200);
    api.clock().advance(Duration::seconds(1));
    let reply = api
        .get("/api/auth/me", Some(&ann.access))
        .await
        .expect_problem(401, "token_expired");
    assert!(reply
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    // The refresh token still works, and gives a fresh access token.
    let r = api
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": ann.refresh}),
        )
        .await
        .expect(200);
    api.get("/api/auth/me", r.body["access_token"].as_str())
        .await
        .expect(200);
}

#[tokio::test]
async fn refresh_families_end_thirty_days_after_login_however_often_rotated() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let mut token = ann.refresh.clone();
    for _ in 0..3 {
        api.clock().advance(Duration::days(9));
        let r = api
            .post("/api/auth/refresh", None, json!({"refresh_token": token}))
            .await
            .expect(200);
        token = r.body["refresh_token"].as_str().unwrap().to_owned();
    }
    api.clock().advance(Duration::days(3));
    api.post("/api/auth/refresh", None, json!({"refresh_token": token}))
        .await
        .expect_problem(401, "invalid_refresh_token");
}

fn b64(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn forged_tampered_and_alg_none_tokens_are_refused() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let parts: Vec<&str> = ann.access.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();

    // alg: none, no signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": "t1"})),
        parts[1]
    );
    // Another algorithm with the same signature bytes.
    let hs512 = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "HS512", "typ": "JWT", "kid": "t1"})),
        parts[1],
        parts[2]
    );
    // Key confusion attempt.
    let rs256 = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "typ": "JWT", "kid": "t1"})),
        parts[1],
        parts[2]
    );
    // A changed claim under the old signature.
    claims["sub"] = json!(uuid::Uuid::now_v7());
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    // A valid-looking token signed with someone else's key.
    let foreign_keys = api::auth::JwtKeys::parse(
        "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "docuvault",
        "docuvault-api",
    )
    .unwrap();
    let foreign = foreign_keys.issue(
        uuid::Uuid::parse_str(&ann.id).unwrap(),
        domain::user::Role::Admin,
        chrono::Utc::now().timestamp(),
    );
    for (name, token) in [
        ("none", none),
        ("hs512", hs512),
        ("rs256", rs256),
        ("tampered", tampered),
        ("foreign", foreign),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let r = api.get("/api/auth/me", Some(&token)).await;
        assert_eq!(r.status, 401, "{name}: {:#}", r.body);
        assert_eq!(r.code(), "invalid_token", "{name}");
    }
    // A refresh token is not an access token.
    api.get("/api/auth/me", Some(&ann.refresh))
        .await
        .expect_problem(401, "invalid_token");
    api.get("/api/auth/me", Some(&ann.access)).await.expect(200);
}
