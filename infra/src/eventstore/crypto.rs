//! Envelope encryption of personal data inside event payloads (`{"$pii": v}` markers).
//!
//! Each marked value is sealed with ChaCha20-Poly1305 under its data subject's key, with a random
//! 96-bit nonce, and stored as `{"$enc": base64(nonce ‖ ciphertext), "$key": "<subject uuid>"}`.
//! The associated data binds the ciphertext to its stream, its event and its place in the event
//! (a JSON pointer such as `/metadata/client_ip`), so a ciphertext copied into another event or
//! another field fails authentication instead of decrypting.
//!
//! Opening is the reverse: the stored form becomes `{"$pii": v}` again, or `{"$erased": true}`
//! when the subject's key no longer exists. A ciphertext that fails authentication under an
//! existing key is an integrity failure and is reported as an error, never silently erased.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use domain::personal::{ENC_MARKER, ERASED_MARKER, KEY_MARKER, PII_MARKER};
use domain::ports::DataKey;
use rand::RngCore;
use serde_json::{Map, Value};
use uuid::Uuid;

const NONCE_LEN: usize = 12;
const AAD_DOMAIN: &[u8] = b"docuvault-pii-v1\0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("event {0} carries personal data but names no data key")]
    NoDataKey(Uuid),
    #[error("event {event_id} already contains an encrypted value at {pointer}; append plaintext `$pii` markers only")]
    AlreadySealed { event_id: Uuid, pointer: String },
    #[error("malformed encrypted value at {pointer} in event {event_id}")]
    Malformed { event_id: Uuid, pointer: String },
    #[error("encrypted value at {pointer} in event {event_id} failed authentication (tampered or moved)")]
    Authentication { event_id: Uuid, pointer: String },
}

/// Where a value lives: binds its ciphertext to one field of one event of one stream.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub stream_id: &'a str,
    pub event_id: Uuid,
}

/// Whether `value` (at JSON pointer `root`) contains a `{"$pii": …}` marker anywhere. Fails on a
/// value that is already in sealed form: ciphertext is only ever produced by [`seal`], bound to
/// the event it is appended with, so a caller cannot copy another event's ciphertext in.
pub fn scan(value: &Value, root: &str, event_id: Uuid) -> Result<bool, CryptoError> {
    // The hot path builds no pointers; only a rejection walks again to name the place.
    match scan_in(value) {
        Ok(found) => Ok(found),
        Err(()) => {
            let mut pointer = root.to_owned();
            sealed_pointer(value, &mut pointer);
            Err(CryptoError::AlreadySealed { event_id, pointer })
        }
    }
}

fn scan_in(value: &Value) -> Result<bool, ()> {
    match value {
        Value::Object(map) if is_marker(map, PII_MARKER) => Ok(true),
        Value::Object(map) if is_sealed(map) => Err(()),
        Value::Object(map) => map
            .values()
            .try_fold(false, |found, v| Ok(scan_in(v)? | found)),
        Value::Array(items) => items
            .iter()
            .try_fold(false, |found, v| Ok(scan_in(v)? | found)),
        _ => Ok(false),
    }
}

/// Extends `pointer` to the first sealed value under `value`; true when there is one.
fn sealed_pointer(value: &Value, pointer: &mut String) -> bool {
    let visit = |token: &str, v: &Value, pointer: &mut String| {
        let len = push_token(pointer, token);
        if sealed_pointer(v, pointer) {
            return true;
        }
        pointer.truncate(len);
        false
    };
    match value {
        Value::Object(map) if is_sealed(map) => true,
        Value::Object(map) => map.iter().any(|(k, v)| visit(k, v, pointer)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .any(|(i, v)| visit(&i.to_string(), v, pointer)),
        _ => false,
    }
}

/// Replaces every `{"$pii": v}` under `value` (whose JSON pointer is `root`, e.g. `/data`) with
/// its sealed form. Call [`scan`] first: it rejects values that are already sealed.
pub fn seal(
    value: &mut Value,
    root: &str,
    at: Location<'_>,
    subject: Uuid,
    key: &DataKey,
) -> Result<(), CryptoError> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key.0));
    let mut pointer = root.to_owned();
    seal_in(value, &mut pointer, at, subject, &cipher)
}

fn seal_in(
    value: &mut Value,
    pointer: &mut String,
    at: Location<'_>,
    subject: Uuid,
    cipher: &ChaCha20Poly1305,
) -> Result<(), CryptoError> {
    match value {
        Value::Object(map) if is_marker(map, PII_MARKER) => {
            let plain = serde_json::to_vec(&map[PII_MARKER]).expect("a JSON value serializes");
            let mut nonce = [0u8; NONCE_LEN];
            rand::rngs::OsRng.fill_bytes(&mut nonce);
            let aad = aad(at, pointer);
            let ct = cipher
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: &plain,
                        aad: &aad,
                    },
                )
                .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
            let mut sealed = Vec::with_capacity(NONCE_LEN + ct.len());
            sealed.extend_from_slice(&nonce);
            sealed.extend_from_slice(&ct);
            let mut stored = Map::new();
            stored.insert(ENC_MARKER.into(), Value::String(B64.encode(sealed)));
            stored.insert(KEY_MARKER.into(), Value::String(subject.to_string()));
            *value = Value::Object(stored);
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = push_token(pointer, k);
                seal_in(v, pointer, at, subject, cipher)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = push_token(pointer, &i.to_string());
                seal_in(v, pointer, at, subject, cipher)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Adds the subject of every sealed value under `value` to `out`.
pub fn collect_subjects(value: &Value, out: &mut HashSet<Uuid>) {
    match value {
        Value::Object(map) if is_sealed(map) => {
            if let Some(id) = map[KEY_MARKER].as_str().and_then(|s| s.parse().ok()) {
                out.insert(id);
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect_subjects(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_subjects(v, out)),
        _ => {}
    }
}

/// Replaces every sealed value under `value` with `{"$pii": v}`, or with `{"$erased": true}` when
/// `keys` has no live key for its subject (destroyed or never existed).
pub fn open(
    value: &mut Value,
    root: &str,
    at: Location<'_>,
    keys: &HashMap<Uuid, Option<DataKey>>,
) -> Result<(), CryptoError> {
    let mut pointer = root.to_owned();
    open_in(value, &mut pointer, at, keys)
}

fn open_in(
    value: &mut Value,
    pointer: &mut String,
    at: Location<'_>,
    keys: &HashMap<Uuid, Option<DataKey>>,
) -> Result<(), CryptoError> {
    match value {
        Value::Object(map) if is_sealed(map) => {
            let malformed = || CryptoError::Malformed {
                event_id: at.event_id,
                pointer: pointer.clone(),
            };
            let subject: Uuid = map[KEY_MARKER]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(malformed)?;
            let Some(Some(key)) = keys.get(&subject) else {
                *value = erased();
                return Ok(());
            };
            let sealed = map[ENC_MARKER]
                .as_str()
                .and_then(|s| B64.decode(s).ok())
                .filter(|b| b.len() > NONCE_LEN)
                .ok_or_else(malformed)?;
            let (nonce, ct) = sealed.split_at(NONCE_LEN);
            let aad = aad(at, pointer);
            let plain = ChaCha20Poly1305::new(Key::from_slice(&key.0))
                .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
                .map_err(|_| CryptoError::Authentication {
                    event_id: at.event_id,
                    pointer: pointer.clone(),
                })?;
            let inner: Value = serde_json::from_slice(&plain).map_err(|_| malformed())?;
            let mut opened = Map::new();
            opened.insert(PII_MARKER.into(), inner);
            *value = Value::Object(opened);
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = push_token(pointer, k);
                open_in(v, pointer, at, keys)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = push_token(pointer, &i.to_string());
                open_in(v, pointer, at, keys)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn erased() -> Value {
    let mut m = Map::new();
    m.insert(ERASED_MARKER.into(), Value::Bool(true));
    Value::Object(m)
}

fn is_marker(map: &Map<String, Value>, marker: &str) -> bool {
    map.len() == 1 && map.contains_key(marker)
}

fn is_sealed(map: &Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key(ENC_MARKER) && map.contains_key(KEY_MARKER)
}

/// Appends `/token` (RFC 6901 escaping) and returns the length before it, to truncate back to.
fn push_token(pointer: &mut String, token: &str) -> usize {
    let len = pointer.len();
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
    len
}

/// Stream ids are PostgreSQL `text` (never NUL), so the NUL separator is unambiguous; the pointer
/// comes last and needs none.
fn aad(at: Location<'_>, pointer: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + at.stream_id.len() + 17 + pointer.len());
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(at.stream_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(at.event_id.as_bytes());
    aad.extend_from_slice(pointer.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(stream: &str, event: u128) -> Location<'_> {
        Location {
            stream_id: stream,
            event_id: Uuid::from_u128(event),
        }
    }

    fn keys(subject: Uuid, key: &DataKey) -> HashMap<Uuid, Option<DataKey>> {
        HashMap::from([(subject, Some(key.clone()))])
    }

    #[test]
    fn seals_every_marker_and_opens_them_again() {
        let subject = Uuid::from_u128(9);
        let key = DataKey([7; 32]);
        let original =
            json!({"email": {"$pii": "a@b.c"}, "list": [{"$pii": {"n": 1}}], "plain": 3});
        let mut v = original.clone();
        assert_eq!(scan(&v, "/data", Uuid::nil()), Ok(true));
        seal(&mut v, "/data", at("user-1", 1), subject, &key).unwrap();
        assert!(!v.to_string().contains("a@b.c"));
        assert_eq!(v["email"][KEY_MARKER], json!(subject.to_string()));
        let mut found = HashSet::new();
        collect_subjects(&v, &mut found);
        assert_eq!(found, HashSet::from([subject]));
        open(&mut v, "/data", at("user-1", 1), &keys(subject, &key)).unwrap();
        assert_eq!(v, original);
    }

    #[test]
    fn nonces_are_random() {
        let key = DataKey([1; 32]);
        let mut a = json!({"$pii": "same"});
        let mut b = a.clone();
        seal(&mut a, "/data", at("s", 1), Uuid::nil(), &key).unwrap();
        seal(&mut b, "/data", at("s", 1), Uuid::nil(), &key).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn moved_or_tampered_ciphertext_fails_authentication() {
        let subject = Uuid::from_u128(9);
        let key = DataKey([7; 32]);
        let mut sealed = json!({"x": {"$pii": "secret"}});
        seal(&mut sealed, "/data", at("user-1", 1), subject, &key).unwrap();
        let keys = keys(subject, &key);

        for (stream, event, root) in [
            ("user-2", 1, "/data"),
            ("user-1", 2, "/data"),
            ("user-1", 1, "/metadata"),
        ] {
            let mut moved = sealed.clone();
            let err = open(&mut moved, root, at(stream, event), &keys).unwrap_err();
            assert!(matches!(err, CryptoError::Authentication { .. }), "{err}");
        }

        let mut tampered = sealed.clone();
        let enc = tampered["x"][ENC_MARKER].as_str().unwrap().to_owned();
        let mut bytes = B64.decode(enc).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        tampered["x"][ENC_MARKER] = json!(B64.encode(bytes));
        let err = open(&mut tampered, "/data", at("user-1", 1), &keys).unwrap_err();
        assert_eq!(
            err,
            CryptoError::Authentication {
                event_id: Uuid::from_u128(1),
                pointer: "/data/x".into()
            }
        );
    }

    #[test]
    fn missing_key_reads_as_erased() {
        let subject = Uuid::from_u128(9);
        let mut v = json!({"x": {"$pii": "secret"}});
        seal(&mut v, "/data", at("s", 1), subject, &DataKey([7; 32])).unwrap();
        let destroyed = HashMap::from([(subject, None)]);
        open(&mut v, "/data", at("s", 1), &destroyed).unwrap();
        assert_eq!(v, json!({"x": {"$erased": true}}));
    }

    #[test]
    fn sealed_input_is_rejected_and_pointers_are_escaped() {
        let key = DataKey([7; 32]);
        let mut sealed = json!({"a/b": [{"$pii": 1}]});
        seal(&mut sealed, "/data", at("s", 1), Uuid::nil(), &key).unwrap();
        assert_eq!(
            scan(&json!({"a": [1, {"b": 2}]}), "/data", Uuid::nil()),
            Ok(false)
        );
        let err = scan(&sealed, "/data", Uuid::from_u128(2)).unwrap_err();
        assert_eq!(
            err,
            CryptoError::AlreadySealed {
                event_id: Uuid::from_u128(2),
                pointer: "/data/a~1b/0".into()
            }
        );
    }
}
