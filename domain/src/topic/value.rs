//! Validated topic values: a display name and a set of keyword rules.

use unicode_normalization::UnicodeNormalization;

use super::error::TopicError;

/// Maximum length of a topic name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Maximum number of keyword rules on one topic.
pub const MAX_KEYWORDS: usize = 50;
/// Maximum length of one keyword (a word or a short phrase), in characters.
pub const MAX_KEYWORD_CHARS: usize = 64;

/// A topic's display name: trimmed, NFC, 1..=64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicName(String);

impl TopicName {
    pub fn parse(raw: &str) -> Result<Self, TopicError> {
        let name: String = raw.trim().nfc().collect();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(TopicError::InvalidName("must be 1 to 64 characters"));
        }
        if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(TopicError::InvalidName(
                "must not contain control characters",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Keyword rules: lowercased, trimmed, NFC, de-duplicated, sorted; at most 50 of at most 64
/// characters each. A keyword may be a phrase ("tax return").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keywords(Vec<String>);

impl Keywords {
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, TopicError> {
        let mut out: Vec<String> = Vec::with_capacity(raw.len());
        for k in raw {
            let k: String = k
                .as_ref()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .nfc()
                .collect::<String>()
                .to_lowercase();
            if k.is_empty() {
                continue;
            }
            if k.chars().count() > MAX_KEYWORD_CHARS {
                return Err(TopicError::InvalidKeywords("a keyword is too long"));
            }
            if k.chars().any(|c| c.is_control() || is_bidi_control(c)) {
                return Err(TopicError::InvalidKeywords(
                    "keywords must not contain control characters",
                ));
            }
            out.push(k);
        }
        out.sort();
        out.dedup();
        if out.len() > MAX_KEYWORDS {
            return Err(TopicError::InvalidKeywords("at most 50 keywords"));
        }
        Ok(Self(out))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_inner(self) -> Vec<String> {
        self.0
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_normalised_and_bounded() {
        assert_eq!(TopicName::parse("  Taxes ").unwrap().as_str(), "Taxes");
        // "e" + combining acute becomes the precomposed "é".
        assert_eq!(
            TopicName::parse("Caf\u{0065}\u{0301}").unwrap().as_str(),
            "Café"
        );
        assert!(TopicName::parse("   ").is_err());
        assert!(TopicName::parse(&"x".repeat(65)).is_err());
        assert!(TopicName::parse("a\u{0000}b").is_err());
        assert!(TopicName::parse("evil\u{202E}txt").is_err());
    }

    #[test]
    fn keywords_are_normalised_and_deduplicated() {
        let k = Keywords::parse(&["Invoice", " invoice ", "Tax   Return", ""]).unwrap();
        assert_eq!(k.as_slice(), ["invoice", "tax return"]);
        let many: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        assert!(Keywords::parse(&many).is_err());
        assert!(Keywords::parse(&["x".repeat(65)]).is_err());
    }
}
