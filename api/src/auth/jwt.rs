//! Access tokens: JWT, HS256 only, signed with the first of a list of keys and verified with any
//! of them by `kid`, so keys rotate without logging anyone out. The algorithm is pinned: `none`,
//! asymmetric algorithms (key confusion) and other HMAC sizes are refused before any signature
//! check. Expiry is checked against the injected clock, not the system time.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::user::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Access tokens live 15 minutes.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// The `typ` claim of an access token (so no other token we might sign passes as one).
pub const ACCESS_TYPE: &str = "access";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub iss: String,
    pub aud: String,
    /// Token type: always `access`.
    pub typ: String,
    /// Informational for clients; authorisation uses the server-side role.
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature or claims")]
    Invalid,
    #[error("expired")]
    Expired,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyConfigError {
    #[error("no signing key configured")]
    Empty,
    #[error("key entries are `kid:base64key`, separated by commas")]
    Syntax,
    #[error("key `{0}` is not valid base64")]
    Base64(String),
    #[error("key `{0}` is shorter than 32 bytes")]
    TooShort(String),
    #[error("key id `{0}` appears twice")]
    Duplicate(String),
}

/// The signing key ring. `Debug` never prints key material.
#[derive(Clone)]
pub struct JwtKeys {
    signing_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("signing_kid", &self.signing_kid)
            .field("kids", &self.decoding.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Parses `kid:base64key[,kid:base64key…]`; the first key signs, all verify.
    pub fn parse(spec: &str, issuer: &str, audience: &str) -> Result<Self, KeyConfigError> {
        let mut keys = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, b64) = entry.split_once(':').ok_or(KeyConfigError::Syntax)?;
            let (kid, b64) = (kid.trim(), b64.trim());
            if kid.is_empty() {
                return Err(KeyConfigError::Syntax);
            }
            let key = STANDARD
                .decode(b64)
                .map_err(|_| KeyConfigError::Base64(kid.to_owned()))?;
            if key.len() < 32 {
                return Err(KeyConfigError::TooShort(kid.to_owned()));
            }
            if keys.iter().any(|(k, _)| k == kid) {
                return Err(KeyConfigError::Duplicate(kid.to_owned()));
            }
            keys.push((kid.to_owned(), key));
        }
        let (signing_kid, signing_key) = keys.first().cloned().ok_or(KeyConfigError::Empty)?;
        Ok(Self {
            signing_kid,
            encoding: EncodingKey::from_secret(&signing_key),
            decoding: keys
                .into_iter()
                .map(|(kid, key)| (kid, DecodingKey::from_secret(&key)))
                .collect(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs an access token for `user` issued at `iat` (Unix seconds), valid 15 minutes.
    pub fn issue(&self, user: Uuid, role: Role, iat: i64) -> String {
        let claims = AccessClaims {
            sub: user,
            iat,
            exp: iat + ACCESS_TOKEN_SECONDS,
            jti: Uuid::now_v7(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            typ: ACCESS_TYPE.to_owned(),
            role,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, key id, issuer, audience, type and expiry (at `now`).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        // `decode_header` rejects `alg: none` and unknown algorithms outright (they are not in
        // its enum); anything else but HS256 is refused here, before a key is even chosen.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Algorithm);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        // Expiry is ours to check, with the injected clock.
        validation.validate_exp = false;
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.typ != ACCESS_TYPE {
            return Err(TokenError::Invalid);
        }
        if now.timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;

    const K1: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const K2: &str = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    fn keys(spec: &str) -> JwtKeys {
        JwtKeys::parse(spec, "docuvault", "docuvault-api").unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn issues_and_verifies_with_the_standard_claims() {
        let k = keys(K1);
        let user = Uuid::now_v7();
        let token = k.issue(user, Role::Admin, 1_000);
        let claims = k.verify(&token, at(1_000)).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!((claims.iat, claims.exp), (1_000, 1_900));
        assert_eq!(
            (claims.iss.as_str(), claims.aud.as_str()),
            ("docuvault", "docuvault-api")
        );
        assert_eq!(claims.typ, "access");
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k1"));
    }

    #[test]
    fn expiry_follows_the_given_clock_to_the_second() {
        let k = keys(K1);
        let token = k.issue(Uuid::now_v7(), Role::User, 1_000);
        assert!(k.verify(&token, at(1_899)).is_ok());
        assert_eq!(k.verify(&token, at(1_900)), Err(TokenError::Expired));
    }

    #[test]
    fn keys_rotate_by_kid() {
        let old = keys(K1);
        let token = old.issue(Uuid::now_v7(), Role::User, 1_000);
        let rotated = keys(&format!("{K2},{K1}"));
        assert!(rotated.verify(&token, at(1_000)).is_ok());
        let new_token = rotated.issue(Uuid::now_v7(), Role::User, 1_000);
        assert_eq!(
            jsonwebtoken::decode_header(&new_token)
                .unwrap()
                .kid
                .as_deref(),
            Some("k2")
        );
        // Once k1 is dropped its tokens are refused.
        assert_eq!(
            keys(K2).verify(&token, at(1_000)),
            Err(TokenError::UnknownKey)
        );
    }

    fn with_header(token: &str, header: serde_json::Value) -> String {
        let mut parts = token.splitn(3, '.');
        let (_, payload, sig) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        format!(
            "{}.{payload}.{sig}",
            URL_SAFE_NO_PAD.encode(header.to_string())
        )
    }

    #[test]
    fn none_other_algorithms_tampering_and_foreign_tokens_are_refused() {
        let k = keys(K1);
        let token = k.issue(Uuid::now_v7(), Role::User, 1_000);
        let payload = token.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#)
        );
        assert_eq!(k.verify(&none, at(1_000)), Err(TokenError::Malformed));
        let hs512 = with_header(&token, serde_json::json!({"alg":"HS512","kid":"k1"}));
        assert_eq!(k.verify(&hs512, at(1_000)), Err(TokenError::Algorithm));
        let rs256 = with_header(&token, serde_json::json!({"alg":"RS256","kid":"k1"}));
        assert_eq!(k.verify(&rs256, at(1_000)), Err(TokenError::Algorithm));
        let no_kid = with_header(&token, serde_json::json!({"alg":"HS256"}));
        assert_eq!(k.verify(&no_kid, at(1_000)), Err(TokenError::UnknownKey));

        // A changed payload breaks the signature.
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert_eq!(k.verify(&tampered, at(1_000)), Err(TokenError::Invalid));

        // Right key, wrong audience.
        let other = JwtKeys::parse(K1, "docuvault", "someone-else").unwrap();
        let foreign = other.issue(Uuid::now_v7(), Role::User, 1_000);
        assert_eq!(k.verify(&foreign, at(1_000)), Err(TokenError::Invalid));
        assert_eq!(k.verify("garbage", at(1_000)), Err(TokenError::Malformed));
    }

    #[test]
    fn key_configuration_errors_are_named() {
        assert!(matches!(
            JwtKeys::parse("", "i", "a"),
            Err(KeyConfigError::Empty)
        ));
        assert!(matches!(
            JwtKeys::parse("k1:c2hvcnQ=", "i", "a"),
            Err(KeyConfigError::TooShort(_))
        ));
        assert!(matches!(
            JwtKeys::parse(&format!("{K1},{K1}"), "i", "a"),
            Err(KeyConfigError::Duplicate(_))
        ));
        assert!(format!("{:?}", keys(K1)).contains("k1"));
    }
}
