//! TOTP: enrolment, confirmation with recovery codes, the login second step, single use (also
//! under concurrent submissions), the ±1 step window on the injected clock, recovery codes, and
//! disabling.

use std::sync::Arc;

use chrono::Duration;
use domain::ports::Clock;
use serde_json::json;

use crate::auth_support::{totp_at, Api, Session, PASSWORD};

/// Enrols and confirms TOTP for `who` at the clock's current time; returns the secret and the
/// recovery codes.
async fn enable(api: &Api, who: &Session) -> (String, Vec<String>) {
    let enrolment = api
        .post("/api/auth/totp/enroll", Some(&who.access), json!({}))
        .await
        .expect(200)
        .body;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let code = totp_at(&secret, api.clock().now());
    let confirmed = api
        .post(
            "/api/auth/totp/confirm",
            Some(&who.access),
            json!({"code": code}),
        )
        .await
        .expect(200)
        .body;
    let codes = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

#[tokio::test]
async fn enrolment_shows_secret_uri_and_qr_and_confirmation_turns_it_on() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let e = api
        .post("/api/auth/totp/enroll", Some(&ann.access), json!({}))
        .await
        .expect(200)
        .body;
    let secret = e["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160-bit base32 secret");
    let uri = e["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/DocuVault:ann?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")));
    assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
    // Not on until confirmed.
    assert_eq!(
        api.get("/api/auth/me", Some(&ann.access)).await.body["totp_enabled"],
        false
    );
    api.post(
        "/api/auth/totp/confirm",
        Some(&ann.access),
        json!({"code": "000000"}),
    )
    .await
    .expect_problem(422, "totp_invalid");
    let code = totp_at(secret, api.clock().now());
    let codes = api
        .post(
            "/api/auth/totp/confirm",
            Some(&ann.access),
            json!({"code": code}),
        )
        .await
        .expect(200)
        .body["recovery_codes"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(codes, 10);
    assert_eq!(
        api.get("/api/auth/me", Some(&ann.access)).await.body["totp_enabled"],
        true
    );
    api.post("/api/auth/totp/enroll", Some(&ann.access), json!({}))
        .await
        .expect_problem(409, "totp_already_enabled");
}

#[tokio::test]
async fn login_needs_a_fresh_code_and_never_accepts_one_twice() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let (secret, _) = enable(&api, &ann).await;
    api.login(&ann.email, PASSWORD, None)
        .await
        .expect_problem(401, "totp_required");
    api.login(&ann.email, PASSWORD, Some("123456"))
        .await
        .expect_problem(401, "totp_invalid");
    // The code that confirmed the enrolment is spent.
    let confirming = totp_at(&secret, api.clock().now());
    api.login(&ann.email, PASSWORD, Some(&confirming))
        .await
        .expect_problem(401, "totp_invalid");
    api.clock().advance(Duration::seconds(30));
    let code = totp_at(&secret, api.clock().now());
    api.login(&ann.email, PASSWORD, Some(&code))
        .await
        .expect(200);
    // Replay within its validity window.
    api.login(&ann.email, PASSWORD, Some(&code))
        .await
        .expect_problem(401, "totp_invalid");
    // A wrong password still hides the TOTP state.
    api.login(&ann.email, "not the right password", Some(&code))
        .await
        .expect_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn the_window_is_one_step_either_side() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let (secret, _) = enable(&api, &ann).await;
    // Start on a step boundary, well after the confirming step.
    let now = api.clock().now();
    let boundary = chrono::DateTime::from_timestamp((now.timestamp() / 30 + 10) * 30, 0).unwrap();
    api.clock().set(boundary);

    // A code from the previous step is accepted at the very start of the next one …
    let previous = totp_at(&secret, boundary - Duration::seconds(1));
    api.login(&ann.email, PASSWORD, Some(&previous))
        .await
        .expect(200);
    // … and one from the next step, shown by a phone whose clock runs ahead, too.
    let next = totp_at(&secret, boundary + Duration::seconds(30));
    api.login(&ann.email, PASSWORD, Some(&next))
        .await
        .expect(200);

    // Two steps away is too far, in either direction.
    api.clock().set(boundary + Duration::seconds(150));
    let stale = totp_at(&secret, boundary + Duration::seconds(90));
    api.login(&ann.email, PASSWORD, Some(&stale))
        .await
        .expect_problem(401, "totp_invalid");
    let early = totp_at(&secret, boundary + Duration::seconds(210));
    api.login(&ann.email, PASSWORD, Some(&early))
        .await
        .expect_problem(401, "totp_invalid");
    // The edge of the window: the last second in which the code of step n-1 is valid.
    let edge = boundary + Duration::seconds(150 + 29);
    api.clock().set(edge);
    let last_valid = totp_at(&secret, edge - Duration::seconds(30));
    api.login(&ann.email, PASSWORD, Some(&last_valid))
        .await
        .expect(200);
}

#[tokio::test]
async fn concurrent_logins_with_one_code_have_exactly_one_winner() {
    let api = Arc::new(Api::spawn_with_clock().await);
    let ann = api.user("ann").await;
    let (secret, _) = enable(&api, &ann).await;
    api.clock().advance(Duration::seconds(30));
    let code = totp_at(&secret, api.clock().now());
    let tries: Vec<_> = (0..5)
        .map(|_| {
            let (api, email, code) = (api.clone(), ann.email.clone(), code.clone());
            tokio::spawn(async move {
                api.login(&email, PASSWORD, Some(&code))
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
    assert_eq!(statuses, vec![200, 401, 401, 401, 401]);
}

#[tokio::test]
async fn recovery_codes_replace_a_code_once_each() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let (_, codes) = enable(&api, &ann).await;
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);
    api.login(&ann.email, PASSWORD, Some(&codes[0]))
        .await
        .expect(200);
    api.login(&ann.email, PASSWORD, Some(&codes[0]))
        .await
        .expect_problem(401, "totp_invalid");
    // Typed sloppily: upper case, spaces instead of dashes.
    let sloppy = codes[1].to_uppercase().replace('-', " ");
    api.login(&ann.email, PASSWORD, Some(&sloppy))
        .await
        .expect(200);
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let (secret, codes) = enable(&api, &ann).await;
    api.clock().advance(Duration::seconds(30));
    let code = totp_at(&secret, api.clock().now());
    api.post(
        "/api/auth/totp/disable",
        Some(&ann.access),
        json!({"password": "not the right password", "code": code}),
    )
    .await
    .expect_problem(403, "wrong_password");
    api.post(
        "/api/auth/totp/disable",
        Some(&ann.access),
        json!({"password": PASSWORD, "code": "000000"}),
    )
    .await
    .expect_problem(422, "totp_invalid");
    api.post(
        "/api/auth/totp/disable",
        Some(&ann.access),
        json!({"password": PASSWORD, "code": codes[4]}),
    )
    .await
    .expect(204);
    api.login(&ann.email, PASSWORD, None).await.expect(200);
    api.post(
        "/api/auth/totp/disable",
        Some(&ann.access),
        json!({"password": PASSWORD, "code": code}),
    )
    .await
    .expect_problem(409, "totp_not_enabled");
}
