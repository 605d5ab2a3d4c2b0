//! RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps, ±1 step) through totp-rs, and the QR code of
//! the provisioning URI as an SVG for the enrolment screen.

use chrono::{DateTime, Utc};
use commands::identity::ports::TotpCodes;
use rand::rngs::OsRng;
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one (clock drift, typing time).
pub const SKEW: u16 = 1;

#[derive(Debug, Clone)]
pub struct Rfc6238 {
    issuer: String,
}

impl Rfc6238 {
    /// `issuer` is what authenticator apps show above the code (no `:` allowed).
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().replace(':', ""),
        }
    }

    fn totp(&self, secret: &str, account: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(secret).ok()?;
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP_SECONDS)
            .with_secret(secret)
            .with_account_name(account.replace(':', ""))
            .with_issuer(Some(self.issuer.clone()))
            .build()
            .ok()
    }

    /// The code for `secret` at `at` (for tests and tools; the server never needs to show one).
    pub fn code_at(&self, secret: &str, at: DateTime<Utc>) -> Option<String> {
        let t = u64::try_from(at.timestamp()).ok()?;
        Some(self.totp(secret, "x")?.generate(t).to_string())
    }
}

impl TotpCodes for Rfc6238 {
    fn new_secret(&self) -> String {
        // 160 bits, as RFC 4226 recommends.
        let mut bytes = [0u8; 20];
        OsRng.fill_bytes(&mut bytes);
        Secret::from(bytes.to_vec()).to_base32()
    }

    fn matching_step(&self, secret: &str, code: &str, at: DateTime<Utc>) -> Option<u64> {
        let t = u64::try_from(at.timestamp()).ok()?;
        self.totp(secret, "x")?.check(code.trim(), t)
    }

    fn provisioning_uri(&self, secret: &str, account: &str) -> String {
        self.totp(secret, account)
            .and_then(|t| t.to_url().ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc6238_reference_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); its last 6 digits.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let t = Rfc6238::new("DocuVault");
        let at = Utc.timestamp_opt(59, 0).unwrap();
        assert_eq!(t.code_at(&secret, at).unwrap(), "287082");
        assert_eq!(t.matching_step(&secret, "287082", at), Some(1));
    }

    #[test]
    fn accepts_one_step_either_side_and_no_more() {
        let t = Rfc6238::new("DocuVault");
        let secret = t.new_secret();
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap(); // a step boundary (÷30)
        let step = 1_800_000_000 / 30;
        let code = t.code_at(&secret, now).unwrap();
        let secs = chrono::Duration::seconds;
        assert_eq!(t.matching_step(&secret, &code, now), Some(step));
        // Still valid in the next step and the one before…
        assert_eq!(t.matching_step(&secret, &code, now + secs(30)), Some(step));
        assert_eq!(t.matching_step(&secret, &code, now + secs(59)), Some(step));
        assert_eq!(t.matching_step(&secret, &code, now - secs(1)), Some(step));
        assert_eq!(t.matching_step(&secret, &code, now - secs(30)), Some(step));
        // …but not two steps away.
        assert_eq!(t.matching_step(&secret, &code, now + secs(60)), None);
        assert_eq!(t.matching_step(&secret, &code, now - secs(31)), None);
        assert_eq!(t.matching_step(&secret, "000000x", now), None);
    }

    #[test]
    fn provisioning_uri() {
        let t = Rfc6238::new("DocuVault");
        let secret = t.new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let uri = t.provisioning_uri(&secret, "ann");
        assert!(uri.starts_with("otpauth://totp/DocuVault:ann?"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")));
    }
}
