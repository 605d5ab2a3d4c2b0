//! The optional refresh cookie (`?cookie=true`): HttpOnly, Secure, SameSite=Strict, scoped to
//! `/api/auth`, and usable only from our own origin.

use serde_json::json;

use crate::auth_support::{Api, Reply, PASSWORD};

fn cookie_of(reply: &Reply) -> String {
    let set = reply.header("set-cookie").expect("set-cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/auth"] {
        assert!(set.contains(attr), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_refresh_token_can_travel_in_a_same_origin_cookie_only() {
    let api = Api::spawn().await;
    api.register("ann@example.org", "ann", PASSWORD)
        .await
        .expect(201);
    let login = api
        .post(
            "/api/auth/login?cookie=true",
            None,
            json!({"email": "ann@example.org", "password": PASSWORD}),
        )
        .await
        .expect(200);
    assert!(login.body.get("refresh_token").is_none(), "{}", login.body);
    assert!(login.body["access_token"].is_string());
    let cookie = cookie_of(&login);
    assert!(cookie.starts_with("docuvault_refresh="));

    let origin = api.app.url.clone();
    let refresh = |cookie: String, origin: Option<String>| {
        let mut req = api
            .http
            .post(api.app.at("/api/auth/refresh"))
            .header("cookie", cookie);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        api.send(req)
    };
    // No Origin, or a foreign one: refused before the token is even looked at.
    refresh(cookie.clone(), None)
        .await
        .expect_problem(403, "origin_mismatch");
    refresh(cookie.clone(), Some("https://evil.example".into()))
        .await
        .expect_problem(403, "origin_mismatch");
    // Same origin: rotated, and the new token comes back as a cookie again.
    let rotated = refresh(cookie.clone(), Some(origin.clone()))
        .await
        .expect(200);
    assert!(rotated.body.get("refresh_token").is_none());
    let new_cookie = cookie_of(&rotated);
    assert_ne!(new_cookie, cookie);

    // Logout with the cookie revokes the family and deletes the cookie.
    let out = api
        .send(
            api.http
                .post(api.app.at("/api/auth/logout"))
                .header("cookie", new_cookie.clone())
                .header("origin", origin.clone()),
        )
        .await
        .expect(204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    refresh(new_cookie, Some(origin))
        .await
        .expect_problem(401, "invalid_refresh_token");
}
