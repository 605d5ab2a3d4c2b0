//! The optional refresh cookie: `HttpOnly; Secure; SameSite=Strict; Path=/api/auth`, so no script
//! can read the refresh token. Requests authenticated by the cookie must come from our own origin.

use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

use crate::error::ApiError;

pub const COOKIE_NAME: &str = "docuvault_refresh";
pub const COOKIE_PATH: &str = "/api/auth";

/// `Set-Cookie` carrying the refresh token until the family's absolute expiry.
pub fn set_cookie(token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> HeaderValue {
    let max_age = (expires_at - now).num_seconds().max(0);
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("token characters are header-safe")
}

/// `Set-Cookie` that deletes it.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("static header")
}

/// The refresh token from the `Cookie` header, if any.
pub fn read_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A cookie-authenticated mutation must carry an `Origin` equal to ours (the configured public
/// origin, or else this request's own `Host`): a cross-site page cannot forge that header, so it
/// cannot ride on the cookie (`SameSite=Strict` is the first line, this the second).
pub fn require_same_origin(
    headers: &HeaderMap,
    public_origin: Option<&str>,
) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "origin_mismatch",
            "Requests authenticated by the refresh cookie must come from this site's own origin.",
        )
    };
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refuse)?
        .trim_end_matches('/');
    let same = match public_origin {
        Some(ours) => origin.eq_ignore_ascii_case(ours),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(refuse)?;
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
        }
    };
    if same {
        Ok(())
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cookie_attributes_and_parsing() {
        let now = Utc::now();
        let v = set_cookie("abc.def", now + chrono::Duration::days(30), now);
        let v = v.to_str().unwrap();
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/api/auth",
            "Max-Age=2592000",
        ] {
            assert!(v.contains(attr), "{v}");
        }
        let h = headers(&[("cookie", "a=1; docuvault_refresh=abc.def; b=2")]);
        assert_eq!(read_cookie(&h).as_deref(), Some("abc.def"));
        assert_eq!(
            read_cookie(&headers(&[("cookie", "docuvault_refresh=")])),
            None
        );
    }

    #[test]
    fn origin_must_match() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(require_same_origin(&ok, None).is_ok());
        let evil = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(require_same_origin(&evil, None).is_err());
        assert!(require_same_origin(&headers(&[("host", "x")]), None).is_err());
        let public = headers(&[("origin", "https://vault.example")]);
        assert!(require_same_origin(&public, Some("https://vault.example")).is_ok());
        assert!(require_same_origin(&ok, Some("https://vault.example")).is_err());
    }
}
