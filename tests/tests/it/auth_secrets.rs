//! Nothing secret on the log: after a full account life cycle, the stored events contain no
//! password, token, TOTP secret, TOTP code or recovery code. And the breach check's contract
//! against a local server speaking the k-anonymity range format.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::get;
use chrono::Duration;
use docuvault_tests::app::{TestApp, TestAppOptions};
use domain::ports::Clock;
use serde_json::json;
use sha1::{Digest, Sha1};

use crate::auth_support::{totp_at, Api, PASSWORD};

#[tokio::test]
async fn no_secret_ever_reaches_the_event_log() {
    let api = Api::spawn_with_clock().await;
    let reg = api
        .register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    let login = api
        .login("ann@example.org", PASSWORD, None)
        .await
        .expect(200)
        .body;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh1 = login["refresh_token"].as_str().unwrap().to_owned();
    let rotated = api
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": refresh1}),
        )
        .await
        .expect(200)
        .body;
    let access = rotated["access_token"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or(access);
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    let enrolment = api
        .post("/api/auth/totp/enroll", Some(&access), json!({}))
        .await
        .expect(200)
        .body;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let confirm_code = totp_at(&secret, api.clock().now());
    let recovery = api
        .post(
            "/api/auth/totp/confirm",
            Some(&access),
            json!({"code": confirm_code}),
        )
        .await
        .expect(200)
        .body["recovery_codes"]
        .clone();
    api.clock().advance(Duration::seconds(30));
    let login_code = totp_at(&secret, api.clock().now());
    let second = api
        .login("ann@example.org", PASSWORD, Some(&login_code))
        .await
        .expect(200)
        .body;
    let first_recovery = recovery[0].as_str().unwrap().to_owned();
    api.login("ann@example.org", PASSWORD, Some(&first_recovery))
        .await
        .expect(200);
    let new_password = "another long passphrase entirely";
    api.post(
        "/api/auth/password",
        second["access_token"].as_str(),
        json!({"current_password": PASSWORD, "new_password": new_password}),
    )
    .await
    .expect(204);

    let log = api.log_text().await;
    assert!(log.contains(&format!("user-{}", reg.body["id"].as_str().unwrap())));
    let mut secrets = vec![
        PASSWORD.to_owned(),
        new_password.to_owned(),
        access.clone(),
        refresh1.clone(),
        refresh2.clone(),
        second["refresh_token"].as_str().unwrap().to_owned(),
        secret.clone(),
        first_recovery.clone(),
        first_recovery.replace('-', ""),
        // Codes are short: look for them as JSON values, which is how they would leak.
        format!("\"{confirm_code}\""),
        format!("\"{login_code}\""),
        "ann@example.org".to_owned(),
    ];
    // The random part of each refresh token too, in case it were stored without the user id.
    for t in [&refresh1, &refresh2] {
        secrets.push(t.split('.').nth(1).unwrap().to_owned());
    }
    for c in recovery.as_array().unwrap() {
        secrets.push(c.as_str().unwrap().to_owned());
    }
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log contains {s:?}");
    }
    // The hashes that are stored are encrypted (argon2) or digests (tokens, codes).
    assert!(
        !log.contains("$argon2id$"),
        "password hashes are sealed as personal data"
    );
}

/// What the stand-in breach server knows and what it was asked.
#[derive(Clone)]
struct Breach {
    known: Arc<Vec<String>>,
    asked: Arc<Mutex<Vec<String>>>,
}

/// A local stand-in for a k-anonymity breach API: `GET /range/{5 hex}` answers `SUFFIX:COUNT`
/// lines (with zero-count padding), and records which prefixes it was asked for.
async fn breach_server(breached: &[&str]) -> (String, Arc<Mutex<Vec<String>>>) {
    let known: Vec<String> = breached
        .iter()
        .map(|p| hex::encode_upper(Sha1::digest(p.as_bytes())))
        .collect();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let state = Breach {
        known: Arc::new(known),
        asked: asked.clone(),
    };
    let app = axum::Router::new()
        .route(
            "/range/{prefix}",
            get(
                |State(Breach { known, asked }): State<Breach>, Path(prefix): Path<String>| async move {
                    asked.lock().unwrap().push(prefix.clone());
                    let mut lines: Vec<String> = known
                        .iter()
                        .filter(|h| h.starts_with(&prefix))
                        .map(|h| format!("{}:{}", &h[5..], 42))
                        .collect();
                    // Padding entries, as the public API sends with `Add-Padding`.
                    lines.push(format!("{}:0", "0".repeat(35)));
                    lines.push(format!("{}:0", "F".repeat(35)));
                    lines.join("\r\n")
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, asked)
}

#[tokio::test]
async fn the_breach_range_client_speaks_the_k_anonymity_format() {
    let (url, asked) = breach_server(&["hunter2 but much longer"]).await;
    let client = infra::auth::BreachRange::new(format!("{url}/"));
    assert_eq!(client.count("hunter2 but much longer").await.unwrap(), 42);
    assert_eq!(client.count("something nobody ever used").await.unwrap(), 0);
    // Only five upper-case hex digits ever left the process.
    for prefix in asked.lock().unwrap().iter() {
        assert_eq!(prefix.len(), 5);
        assert!(prefix
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }
    assert_eq!(asked.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn registration_refuses_breached_passwords_when_a_breach_api_is_configured() {
    let (url, _) = breach_server(&["this one leaked in 2019"]).await;
    let app = TestApp::spawn_with(TestAppOptions {
        configure: Some(Box::new(move |cfg| cfg.breach_api_url = Some(url))),
        ..TestAppOptions::default()
    })
    .await;
    let api = Api::from_app(app, None);
    api.register("ann@example.org", "ann", "this one leaked in 2019")
        .await
        .expect_problem(422, "password_breached");
    api.register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
}

#[tokio::test]
async fn an_unreachable_breach_api_does_not_block_sign_ups() {
    // A port nothing listens on (bound, then released).
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(TestAppOptions {
        configure: Some(Box::new(move |cfg| cfg.breach_api_url = Some(url))),
        ..TestAppOptions::default()
    })
    .await;
    let api = Api::from_app(app, None);
    api.register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    api.register("bob@example.org", "bob", "password1234")
        .await
        .expect_problem(422, "password_too_common");
}
