//! Throttling: progressive delays with 429 and `Retry-After` on the injected clock, per account
//! and address, for passwords and TOTP codes alike; never a permanent lockout.

use chrono::Duration;
use domain::ports::Clock;
use serde_json::json;

use crate::auth_support::{totp_at, Api, PASSWORD};

#[tokio::test]
async fn failed_logins_are_slowed_progressively_and_then_forgiven() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    for _ in 0..5 {
        api.login(&ann.email, "not the right password", None)
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // The sixth failure starts the delays: 1 s, then 2 s, 4 s …
    api.login(&ann.email, "not the right password", None)
        .await
        .expect(401);
    let r = api
        .login(&ann.email, PASSWORD, None)
        .await
        .expect_problem(429, "too_many_attempts");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.body["retry_after"], 1);
    api.clock().advance(Duration::seconds(1));
    api.login(&ann.email, "not the right password", None)
        .await
        .expect(401);
    let r = api.login(&ann.email, PASSWORD, None).await.expect(429);
    assert_eq!(r.header("retry-after"), Some("2"));
    // Waiting it out always works: the right password gets in.
    api.clock().advance(Duration::seconds(2));
    api.login(&ann.email, PASSWORD, None).await.expect(200);
    // And success resets the account's count.
    api.login(&ann.email, "not the right password", None)
        .await
        .expect(401);
    api.login(&ann.email, PASSWORD, None).await.expect(200);
}

#[tokio::test]
async fn unknown_accounts_are_throttled_exactly_like_known_ones() {
    let api = Api::spawn_with_clock().await;
    for _ in 0..6 {
        api.login("nobody@example.org", "not the right password", None)
            .await
            .expect(401);
    }
    let r = api
        .login("nobody@example.org", "not the right password", None)
        .await
        .expect_problem(429, "too_many_attempts");
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn the_delay_is_capped_so_nobody_is_locked_out_for_good() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    // Hammer the account, always waiting out the current delay.
    let mut longest = 0;
    for _ in 0..30 {
        let r = api.login(&ann.email, "not the right password", None).await;
        if r.status == 429 {
            let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
            longest = longest.max(wait);
            api.clock().advance(Duration::seconds(wait));
        }
    }
    assert!(
        longest > 1 && longest <= 15 * 60,
        "longest delay {longest} s"
    );
    let r = api.login(&ann.email, PASSWORD, None).await;
    if r.status == 429 {
        let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
        api.clock().advance(Duration::seconds(wait));
    }
    api.login(&ann.email, PASSWORD, None).await.expect(200);
}

#[tokio::test]
async fn totp_guessing_is_throttled_too() {
    let api = Api::spawn_with_clock().await;
    let ann = api.user("ann").await;
    let enrolment = api
        .post("/api/auth/totp/enroll", Some(&ann.access), json!({}))
        .await
        .expect(200)
        .body;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    // Guessing at confirmation.
    for guess in 0..6 {
        api.post(
            "/api/auth/totp/confirm",
            Some(&ann.access),
            json!({"code": format!("{guess:06}")}),
        )
        .await
        .expect_problem(422, "totp_invalid");
    }
    api.post(
        "/api/auth/totp/confirm",
        Some(&ann.access),
        json!({"code": totp_at(&secret, api.clock().now())}),
    )
    .await
    .expect_problem(429, "too_many_attempts");
    api.clock().advance(Duration::seconds(1));
    api.post(
        "/api/auth/totp/confirm",
        Some(&ann.access),
        json!({"code": totp_at(&secret, api.clock().now())}),
    )
    .await
    .expect(200);
    // Guessing at login, with the right password.
    api.clock().advance(Duration::minutes(5));
    for guess in 0..6 {
        api.login(&ann.email, PASSWORD, Some(&format!("{guess:06}")))
            .await
            .expect_problem(401, "totp_invalid");
    }
    api.login(
        &ann.email,
        PASSWORD,
        Some(&totp_at(&secret, api.clock().now())),
    )
    .await
    .expect_problem(429, "too_many_attempts");
}
