//! `Personal<T>`: a value that is personal data. It is plaintext in memory and encrypted in the
//! event store with the data subject's key; once that key is destroyed it reads as `Erased`.

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The JSON marker the store looks for when encrypting: `{"$pii": <value>}`.
pub const PII_MARKER: &str = "$pii";
/// Stored form of an encrypted value: `{"$enc": "<base64 nonce‖ciphertext>", "$key": "<uuid>"}`.
pub const ENC_MARKER: &str = "$enc";
pub const KEY_MARKER: &str = "$key";
/// What an encrypted value decodes to once its key has been destroyed: `{"$erased": true}`.
pub const ERASED_MARKER: &str = "$erased";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Personal<T> {
    Value(T),
    /// The data subject's key was destroyed (crypto-shredding).
    Erased,
}

impl<T> Personal<T> {
    pub fn new(value: T) -> Self {
        Self::Value(value)
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Erased => None,
        }
    }

    pub fn into_value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Erased => None,
        }
    }
}

impl<T: std::fmt::Display> Personal<T> {
    /// The value for display, or `[erased]`.
    pub fn display(&self) -> String {
        match self {
            Self::Value(v) => v.to_string(),
            Self::Erased => "[erased]".to_owned(),
        }
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Self::Value(v) => map.serialize_entry(PII_MARKER, v)?,
            Self::Erased => map.serialize_entry(ERASED_MARKER, &true)?,
        }
        map.end()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match value {
            Value::Object(mut map) => {
                if let Some(v) = map.remove(PII_MARKER) {
                    serde_json::from_value(v)
                        .map(Self::Value)
                        .map_err(serde::de::Error::custom)
                } else if map.contains_key(ERASED_MARKER) || map.contains_key(ENC_MARKER) {
                    // An `$enc` that reaches here could not be decrypted: treat it as erased.
                    Ok(Self::Erased)
                } else {
                    Err(serde::de::Error::custom("expected a personal-data marker"))
                }
            }
            _ => Err(serde::de::Error::custom("expected a personal-data marker")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_erases() {
        let p = Personal::new("alice@example.com".to_string());
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v, serde_json::json!({"$pii": "alice@example.com"}));
        assert_eq!(serde_json::from_value::<Personal<String>>(v).unwrap(), p);
        let erased: Personal<String> =
            serde_json::from_value(serde_json::json!({"$erased": true})).unwrap();
        assert_eq!(erased, Personal::Erased);
        assert_eq!(erased.display(), "[erased]");
    }
}
