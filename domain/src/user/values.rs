//! Parse-don't-validate value types of the identity domain: `Handle`, `Email`, `Password`.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::error::{PasswordProblem, ValueError};

/// A public user name, 3–32 characters of `[a-z0-9_]`. Input is case-folded, so `Alice` and
/// `alice` are the same handle and uniqueness is case-insensitive by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

impl Handle {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let folded = raw.trim().to_ascii_lowercase();
        let valid_chars = folded
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_chars || !(Self::MIN_LEN..=Self::MAX_LEN).contains(&folded.len()) {
            return Err(ValueError::InvalidHandle);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Handle {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Handle> for String {
    fn from(h: Handle) -> Self {
        h.0
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, normalised (trimmed, NFC, lower-cased) so that one mailbox has one spelling.
///
/// Lower-casing the local part is technically lossy, but no mail provider in practice treats
/// `Ann@x` and `ann@x` as different people, and two accounts for them would be a support trap.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let normalised: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let (local, domain) = normalised
            .rsplit_once('@')
            .ok_or(ValueError::InvalidEmail)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c);
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && !domain.chars().any(forbidden);
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.chars().any(forbidden);
        if !domain_ok || !local_ok || normalised.len() > Self::MAX_LEN {
            return Err(ValueError::InvalidEmail);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Email addresses are personal data: keep them out of `Debug` output (and so out of logs).
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

impl TryFrom<String> for Email {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

/// A plaintext password, NFKC-normalised (NIST SP 800-63B) so that the same characters typed on
/// different keyboards hash alike. Neither `Debug` nor serde can reveal it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    /// A password presented at login or for confirmation: normalised, never policy-checked (it
    /// may predate the current policy; only the hash comparison decides).
    pub fn presented(raw: &str) -> Self {
        Self(raw.nfkc().collect())
    }

    /// A new password for the account with this handle and email, checked against the local
    /// policy: length only (no composition rules, no truncation) and not containing the handle or
    /// the email. The common-password and breach checks need data and I/O and live in `infra`.
    pub fn new_for(raw: &str, handle: &Handle, email: &Email) -> Result<Self, PasswordProblem> {
        let password = Self::presented(raw);
        let chars = password.0.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordProblem::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordProblem::TooLong);
        }
        let folded = password.0.to_lowercase();
        if folded.contains(handle.as_str()) {
            return Err(PasswordProblem::ContainsHandle);
        }
        if folded.contains(email.as_str()) {
            return Err(PasswordProblem::ContainsEmail);
        }
        Ok(password)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_case_folded_and_bounded() {
        assert_eq!(Handle::parse("Alice_01").unwrap().as_str(), "alice_01");
        assert_eq!(Handle::parse("abc").unwrap().as_str(), "abc");
        assert!(Handle::parse("ab").is_err());
        assert!(Handle::parse(&"a".repeat(32)).is_ok());
        assert!(Handle::parse(&"a".repeat(33)).is_err());
        for bad in ["al ice", "al-ice", "alïce", "al.ice", "", "   "] {
            assert_eq!(
                Handle::parse(bad),
                Err(ValueError::InvalidHandle),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_single_character_is_classified_like_the_rule_says() {
        // Exhaustive over the Basic Latin block: the rule is `[a-z0-9_]` after ASCII case folding.
        for b in 0u8..128 {
            let c = b as char;
            let candidate = format!("ab{c}");
            let expected = c.is_ascii_alphanumeric() || c == '_';
            // Surrounding whitespace is trimmed, so a trailing space is not a rejection.
            if c.is_ascii_whitespace() {
                continue;
            }
            assert_eq!(Handle::parse(&candidate).is_ok(), expected, "{candidate:?}");
        }
    }

    #[test]
    fn emails_are_normalised() {
        let e = Email::parse("  Ann.Smith@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "ann.smith@example.org");
        assert_eq!(e, Email::parse("ann.smith@example.org").unwrap());
        for bad in [
            "ann",
            "@example.org",
            "ann@",
            "ann@localhost",
            "ann@@example.org",
            "an n@example.org",
            "ann@exa..mple.org",
            ".ann@example.org",
        ] {
            assert_eq!(Email::parse(bad), Err(ValueError::InvalidEmail), "{bad:?}");
        }
        assert!(format!("{e:?}").contains("redacted"));
    }

    #[test]
    fn password_length_is_counted_in_characters_and_never_truncated() {
        let h = Handle::parse("ann").unwrap();
        let e = Email::parse("ann@example.org").unwrap();
        assert_eq!(
            Password::new_for("short pass", &h, &e),
            Err(PasswordProblem::TooShort)
        );
        // Twelve characters, more bytes: accepted.
        assert!(Password::new_for("éééééééééééé", &h, &e).is_ok());
        let long = "x".repeat(Password::MAX_CHARS);
        assert_eq!(
            Password::new_for(&long, &h, &e).unwrap().expose().len(),
            1024
        );
        assert_eq!(
            Password::new_for(&format!("{long}y"), &h, &e),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn passwords_must_not_contain_handle_or_email() {
        let h = Handle::parse("kestrel").unwrap();
        let e = Email::parse("bird@example.org").unwrap();
        assert_eq!(
            Password::new_for("my KESTREL flies high", &h, &e),
            Err(PasswordProblem::ContainsHandle)
        );
        assert_eq!(
            Password::new_for("Bird@Example.org rocks!", &h, &e),
            Err(PasswordProblem::ContainsEmail)
        );
        assert!(Password::new_for("a sparrow flies low", &h, &e).is_ok());
        // No composition rules: one character class is fine.
        assert!(Password::new_for("lowercaseonlybutlong", &h, &e).is_ok());
    }

    #[test]
    fn passwords_are_nfkc_normalised_and_redacted() {
        // U+FB01 (the "fi" ligature) normalises to "fi" under NFKC.
        assert_eq!(Password::presented("\u{FB01}"), Password::presented("fi"));
        assert_eq!(
            format!("{:?}", Password::presented("hunter2")),
            "Password(<redacted>)"
        );
    }
}
