//! `POST /api/auth/register`: shape, uniqueness of email and handle, the password policy.

use serde_json::json;

use crate::auth_support::{Api, PASSWORD};

#[tokio::test]
async fn registers_and_answers_the_contract_shape() {
    let api = Api::spawn().await;
    let reply = api
        .register("  Ann.Smith@Example.ORG ", "Ann_01", PASSWORD)
        .await
        .expect(201);
    assert!(reply.header("x-consistency-token").is_some());
    let body = reply.body;
    assert_eq!(body["email"], "ann.smith@example.org");
    assert_eq!(body["handle"], "ann_01");
    assert_eq!(body["role"], "user");
    let id = body["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
}

#[tokio::test]
async fn emails_and_handles_are_unique_case_insensitively() {
    let api = Api::spawn().await;
    api.register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    api.register("ANN@example.org", "someone", PASSWORD)
        .await
        .expect_problem(409, "email_taken");
    api.register("bob@example.org", "ANN", PASSWORD)
        .await
        .expect_problem(409, "handle_taken");
    // The refused attempt did not keep bob's email.
    api.register("bob@example.org", "bob", PASSWORD)
        .await
        .expect(201);
}

#[tokio::test]
async fn malformed_handles_and_emails_are_refused() {
    let api = Api::spawn().await;
    for handle in ["ab", "has space", "dash-ed", &"x".repeat(33)] {
        api.register("a@example.org", handle, PASSWORD)
            .await
            .expect_problem(422, "invalid_handle");
    }
    for email in ["no-at-sign", "a@b", "two@@example.org"] {
        api.register(email, "okhandle", PASSWORD)
            .await
            .expect_problem(422, "invalid_email");
    }
    api.post(
        "/api/auth/register",
        None,
        json!({"email": "a@example.org"}),
    )
    .await
    .expect_problem(422, "invalid_body");
}

#[tokio::test]
async fn the_password_policy_is_length_lists_and_identity_never_composition() {
    let api = Api::spawn().await;
    let cases = [
        ("eleven char", "password_too_short"),
        ("password1234", "password_too_common"),
        ("aaaaaaaaaaaaaaaa", "password_too_common"),
        ("i am kestrel and i fly", "password_contains_handle"),
        ("mail me at k@example.org", "password_contains_email"),
    ];
    for (password, code) in cases {
        api.register("k@example.org", "kestrel", password)
            .await
            .expect_problem(422, code);
    }
    api.register("k@example.org", "kestrel", &"y".repeat(1025))
        .await
        .expect_problem(422, "password_too_long");
    // No composition rules: lower-case letters only is fine if long and uncommon.
    api.register(
        "k@example.org",
        "kestrel",
        "quietly sleeping mountain goats",
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn long_passwords_are_never_truncated() {
    let api = Api::spawn().await;
    let long: String = (0..1024)
        .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
        .collect();
    api.register("long@example.org", "longpw", &long)
        .await
        .expect(201);
    api.login("long@example.org", &long, None).await.expect(200);
    // Any bcrypt-style 72-byte cut would make this succeed.
    api.login("long@example.org", &long[..1023], None)
        .await
        .expect_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_have_exactly_one_winner() {
    let api = std::sync::Arc::new(Api::spawn().await);
    let attempts: Vec<_> = (0..6)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.register("race@example.org", &format!("racer{i}"), PASSWORD)
                    .await
                    .status
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409]);
}
