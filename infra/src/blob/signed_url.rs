//! Short-lived URLs for the filesystem store: `{base}/api/blobs/{claims}.{mac}` where `claims` is
//! base64url JSON (method, key, expiry, and what the request must carry) and `mac` its
//! HMAC-SHA256 under the URL-signing key. Changing any byte of either part invalidates it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use domain::blob::{BlobError, ObjectKey};

/// Keeps MACs for this purpose from ever being valid for another use of the same key.
const CONTEXT: &[u8] = b"docuvault/blob-url/v1\0";

/// What a signed URL allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRequest {
    /// `PUT` or `GET`.
    #[serde(rename = "m")]
    pub method: String,
    #[serde(rename = "k")]
    pub key: String,
    /// Unix seconds.
    #[serde(rename = "x")]
    pub expires: i64,
    /// PUT: the exact `Content-Type`; GET: the type to serve.
    #[serde(rename = "t")]
    pub content_type: String,
    /// PUT: the exact body length.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub content_length: Option<u64>,
    /// GET: the attachment's filename.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl SignedRequest {
    pub fn object_key(&self) -> Result<ObjectKey, BlobError> {
        ObjectKey::parse(&self.key)
    }
}

/// Signs and verifies blob URL tokens. `Debug` never shows the key.
pub struct UrlSigner {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(<redacted>)")
    }
}

impl UrlSigner {
    /// `key` should be at least 32 random bytes.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(CONTEXT);
        mac
    }

    pub fn sign(&self, req: &SignedRequest) -> String {
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(req).expect("claims serialize"));
        let mut mac = self.mac();
        mac.update(claims.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{claims}.{tag}")
    }

    /// The claims of a token whose MAC is valid, that has not expired at `now`, and that was
    /// issued for `method`. The MAC is checked first (in constant time), so an altered expiry is
    /// reported as an invalid signature, not as expired.
    pub fn verify(
        &self,
        token: &str,
        method: &str,
        now: DateTime<Utc>,
    ) -> Result<SignedRequest, BlobError> {
        let (claims, tag) = token.split_once('.').ok_or(BlobError::InvalidSignature)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| BlobError::InvalidSignature)?;
        let mut mac = self.mac();
        mac.update(claims.as_bytes());
        mac.verify_slice(&tag)
            .map_err(|_| BlobError::InvalidSignature)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| BlobError::InvalidSignature)?;
        let req: SignedRequest =
            serde_json::from_slice(&bytes).map_err(|_| BlobError::InvalidSignature)?;
        if req.method != method {
            return Err(BlobError::InvalidSignature);
        }
        if now.timestamp() > req.expires {
            return Err(BlobError::Expired);
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(expires: i64) -> SignedRequest {
        SignedRequest {
            method: "PUT".into(),
            key: "k".into(),
            expires,
            content_type: "text/plain".into(),
            content_length: Some(3),
            filename: None,
        }
    }

    #[test]
    fn verifies_its_own_tokens_and_nothing_else() {
        let s = UrlSigner::new(vec![7; 32]);
        let now = Utc::now();
        let token = s.sign(&req(now.timestamp() + 60));
        assert_eq!(
            s.verify(&token, "PUT", now).unwrap(),
            req(now.timestamp() + 60)
        );
        assert!(matches!(
            s.verify(&token, "GET", now),
            Err(BlobError::InvalidSignature)
        ));
        assert!(matches!(
            UrlSigner::new(vec![8; 32]).verify(&token, "PUT", now),
            Err(BlobError::InvalidSignature)
        ));
        // Re-encoding the claims with a later expiry breaks the MAC.
        let (_, tag) = token.split_once('.').unwrap();
        let forged =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&req(now.timestamp() + 9_999)).unwrap());
        assert!(matches!(
            s.verify(&format!("{forged}.{tag}"), "PUT", now),
            Err(BlobError::InvalidSignature)
        ));
        let old = s.sign(&req(now.timestamp() - 1));
        assert!(matches!(
            s.verify(&old, "PUT", now),
            Err(BlobError::Expired)
        ));
        assert!(format!("{s:?}").contains("redacted"));
    }
}
