//! Screening new passwords: the offline common-password check (zxcvbn's frequency lists ship
//! inside the binary) and the optional k-anonymity breach check (`GET {base}/range/{5 hex}`, the
//! public Pwned Passwords format), which only ever sends the first five hex digits of the SHA-1.

use std::time::Duration;

use async_trait::async_trait;
use commands::identity::ports::PasswordScreen;
use domain::user::{Password, PasswordProblem};
use sha1::{Digest, Sha1};
use zxcvbn::Score;

/// Passwords longer than this are not in any list worth checking, and zxcvbn's matching time
/// grows quickly with length.
const MAX_SCREENED_CHARS: usize = 100;

/// Whether the password is common: zxcvbn estimates at most 10^6 guesses for it, which at our
/// minimum length only happens for list entries, their trivial variations, repeats and keyboard
/// or digit sequences.
pub fn is_common(password: &str) -> bool {
    if password.chars().count() > MAX_SCREENED_CHARS {
        return false;
    }
    zxcvbn::zxcvbn(password, &[]).score() <= Score::One
}

/// A client for a k-anonymity range API.
#[derive(Clone)]
pub struct BreachRange {
    base_url: String,
    http: reqwest::Client,
}

impl BreachRange {
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .expect("static client configuration");
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// How often the password appears in the service's breach corpus (0 when never).
    pub async fn count(&self, password: &str) -> Result<u64, reqwest::Error> {
        let digest = hex::encode_upper(Sha1::digest(password.as_bytes()));
        let (prefix, suffix) = digest.split_at(5);
        let body = self
            .http
            .get(format!("{}/range/{prefix}", self.base_url))
            // Padding makes every response about the same size, so an observer of the traffic
            // cannot guess the prefix from it.
            .header("Add-Padding", "true")
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(body
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
            .find(|(s, _)| s.eq_ignore_ascii_case(suffix))
            .and_then(|(_, n)| n.trim().parse().ok())
            .unwrap_or(0))
    }
}

/// The `PasswordScreen` the product uses: always the offline list, plus the breach API when one
/// is configured.
#[derive(Clone, Default)]
pub struct Screener {
    breach: Option<BreachRange>,
}

impl Screener {
    pub fn new(breach_api_url: Option<&str>) -> Self {
        Self {
            breach: breach_api_url.map(BreachRange::new),
        }
    }
}

#[async_trait]
impl PasswordScreen for Screener {
    async fn screen(&self, password: &Password) -> Result<(), PasswordProblem> {
        if is_common(password.expose()) {
            return Err(PasswordProblem::Common);
        }
        if let Some(breach) = &self.breach {
            match breach.count(password.expose()).await {
                Ok(0) => {}
                Ok(_) => return Err(PasswordProblem::Breached),
                // Fail open: an unreachable breach service must not stop sign-ups; the offline
                // list still applied.
                Err(e) => tracing::warn!(error = %e, "breach range check failed; skipped"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_and_trivial_patterns_are_caught() {
        for common in [
            "password1234",
            "passwordpassword",
            "123456789012",
            "qwertyuiopasdf",
            "aaaaaaaaaaaaaaaa",
            "iloveyou12345",
        ] {
            assert!(is_common(common), "{common} should be common");
        }
        for fine in [
            "correct horse battery staple",
            "tram-lamp-quince-orbit",
            "Zq8#vL2!mR9@xK4",
        ] {
            assert!(!is_common(fine), "{fine} should pass");
        }
        assert!(
            !is_common(&"x".repeat(1024)),
            "long inputs are not screened"
        );
    }
}
