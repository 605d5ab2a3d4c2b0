//! `POST /api/auth/login` and `GET /api/auth/me`: the token pair, the claims, no account
//! enumeration, and every attempt on the log with its client data encrypted.

use crate::auth_support::{claims, Api, PASSWORD};

#[tokio::test]
async fn login_returns_a_bearer_pair_with_the_standard_claims() {
    let api = Api::spawn().await;
    let reg = api
        .register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    let reply = api
        .login("ann@example.org", PASSWORD, None)
        .await
        .expect(200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = &reply.body;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(refresh.len() >= 43 + 33, "256 random bits plus the user id");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], reg.body["id"]);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert_eq!(c["iss"], "docuvault");
    assert_eq!(c["aud"], "docuvault-api");
    assert_eq!(c["typ"], "access");
    assert!(uuid::Uuid::parse_str(c["jti"].as_str().unwrap()).is_ok());
    let header = jsonwebtoken_header(body["access_token"].as_str().unwrap());
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["kid"], "t1");
}

fn jsonwebtoken_header(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwt.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[tokio::test]
async fn me_describes_the_signed_in_account() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let me = api
        .get("/api/auth/me", Some(&ann.access))
        .await
        .expect(200)
        .body;
    assert_eq!(me["id"], ann.id.as_str());
    assert_eq!(me["email"], "ann@example.org");
    assert_eq!(me["handle"], "ann");
    assert_eq!(me["role"], "user");
    assert_eq!(me["totp_enabled"], false);
    assert!(chrono::DateTime::parse_from_rfc3339(me["created_at"].as_str().unwrap()).is_ok());
    api.get("/api/auth/me", None)
        .await
        .expect_problem(401, "unauthenticated");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_indistinguishable() {
    let api = Api::spawn().await;
    api.register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    let wrong = api
        .login("ann@example.org", "not the right password", None)
        .await
        .expect_problem(401, "invalid_credentials");
    let unknown = api
        .login("nobody@example.org", "not the right password", None)
        .await
        .expect_problem(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    let interesting = |r: &crate::auth_support::Reply| {
        let mut h: Vec<_> = r
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id" | "content-length"))
            .map(|(k, v)| format!("{k}: {v:?}"))
            .collect();
        h.sort();
        h
    };
    assert_eq!(interesting(&wrong), interesting(&unknown));
}

#[tokio::test]
async fn both_kinds_of_failure_are_recorded_with_encrypted_client_data() {
    let api = Api::spawn().await;
    let ann = api
        .register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    api.login("ann@example.org", "not the right password", None)
        .await
        .expect(401);
    api.login("nobody@example.org", "not the right password", None)
        .await
        .expect(401);
    api.login("ann@example.org", PASSWORD, None)
        .await
        .expect(200);
    let events = api.events().await;
    let user_stream = format!("user-{}", ann.body["id"].as_str().unwrap());
    let types: Vec<_> = events
        .iter()
        .filter(|e| e.0 == user_stream)
        .map(|e| e.1.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "UserRegistered",
            "LoginFailed",
            "LoginSucceeded",
            "RefreshTokenIssued"
        ]
    );
    let unknown: Vec<_> = events
        .iter()
        .filter(|e| e.0.starts_with("loginattempts-"))
        .collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].1, "LoginFailed");
    assert_eq!(unknown[0].2["reason"], "unknown_account");
    // The stream name is a keyed hash, not the address.
    let log = api.log_text().await;
    assert!(!log.contains("nobody"));
    // Client IP and user agent are in the metadata, encrypted.
    let failed = events
        .iter()
        .find(|e| e.0 == user_stream && e.1 == "LoginFailed")
        .unwrap();
    assert!(failed.3["client_ip"]["$enc"].is_string(), "{}", failed.3);
    assert!(unknown[0].3["client_ip"]["$enc"].is_string());
    assert!(!log.contains("127.0.0.1"));
    assert!(!log.contains("ann@example.org"));
    assert!(!log.contains("reqwest"), "the user agent is encrypted too");
}

#[tokio::test]
async fn a_deactivated_account_with_the_right_password_is_told_so() {
    let api = Api::spawn().await;
    let admin = api.with_role("boss", domain::user::Role::Admin).await;
    let ann = api.user("ann").await;
    api.call(
        reqwest::Method::PATCH,
        &format!("/api/admin/users/{}", ann.id),
        Some(&admin.access),
        Some(serde_json::json!({"is_active": false})),
    )
    .await
    .expect(200);
    api.login(&ann.email, PASSWORD, None)
        .await
        .expect_problem(403, "account_deactivated");
    // Without the password nothing is revealed.
    api.login(&ann.email, "not the right password", None)
        .await
        .expect_problem(401, "invalid_credentials");
}
