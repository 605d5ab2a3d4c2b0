//! The canonical bytes of a stored event and the per-stream SHA-256 hash chain over them.
//!
//! The canonical form is a JSON array with a fixed field order:
//!
//! ```text
//! [stream_version,"stream_id","event_id","event_type",schema_version,"recorded_at",data,metadata]
//! ```
//!
//! `data` and `metadata` are the *stored* values (personal data already encrypted), written with
//! every object's keys sorted by their UTF-8 bytes, no whitespace, and numbers normalised so that
//! the bytes only depend on the value PostgreSQL's `jsonb` gives back, never on serde_json's map
//! order or on whether a number happened to be parsed as an integer or a float. `recorded_at` is
//! RFC 3339 UTC with exactly six fractional digits (the column's precision).
//!
//! The append statement computes the hashes inside PostgreSQL (it alone knows the stream head in
//! the same statement), so the form is split at the version: the database hashes
//! `'[' || stream_version` followed by the [`tail`] the client computed. [`event_hash`] and
//! [`chain_hash`] are the same computation in Rust, used by `audit verify` and by the KurrentDB
//! store (which has no server-side hashing).

use chrono::{DateTime, Utc};
use serde_json::{Number, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a stream's first event.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The envelope fields that enter the hash, besides the version and the previous hash.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalFields<'a> {
    pub stream_id: &'a str,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub recorded_at: DateTime<Utc>,
    pub data: &'a Value,
    pub metadata: &'a Value,
}

/// Everything after `[<stream_version>` in the canonical form, including the closing `]`.
pub fn tail(fields: &CanonicalFields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(b',');
    write_str(&mut out, fields.stream_id);
    out.push(b',');
    let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
    write_str(&mut out, fields.event_id.hyphenated().encode_lower(&mut id));
    out.push(b',');
    write_str(&mut out, fields.event_type);
    out.push(b',');
    out.extend_from_slice(fields.schema_version.to_string().as_bytes());
    out.push(b',');
    write_str(&mut out, &timestamp(fields.recorded_at));
    out.push(b',');
    write_value(&mut out, fields.data);
    out.push(b',');
    write_value(&mut out, fields.metadata);
    out.push(b']');
    out
}

/// The complete canonical bytes of an event.
pub fn canonical_bytes(stream_version: u64, fields: &CanonicalFields<'_>) -> Vec<u8> {
    let mut out = format!("[{stream_version}").into_bytes();
    out.extend_from_slice(&tail(fields));
    out
}

/// `SHA-256(prev_hash || canonical bytes)`: must equal what the append statement stores.
pub fn event_hash(prev_hash: &[u8], stream_version: u64, fields: &CanonicalFields<'_>) -> [u8; 32] {
    chain_hash(prev_hash, stream_version, &tail(fields))
}

/// One link of the chain from an already computed [`tail`]: `SHA-256(prev_hash || '[' ||
/// stream_version || tail)`. Stores that compute the chain in Rust (KurrentDB) use this with the
/// tails of a prepared batch; it is what PostgreSQL's append statement computes in SQL.
pub fn chain_hash(prev_hash: &[u8], stream_version: u64, tail: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(format!("[{stream_version}").as_bytes());
    h.update(tail);
    h.finalize().into()
}

/// Canonical JSON of any value (sorted keys, no whitespace, normalised numbers).
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, value);
    out
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-28T01:02:03.000004Z` (written by hand: chrono's
/// `format` parses its pattern on every call, which showed up in append profiles).
pub fn timestamp(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        // A leap second's nanoseconds run past 10^9; keep the field six digits wide.
        (at.nanosecond() % 1_000_000_000) / 1_000
    )
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v);
            }
            out.push(b'}');
        }
    }
}

/// Integers print as integers. A float with an integral value that fits an `i64`/`u64` prints as
/// that integer, because `jsonb` keeps `1e19` as `10000000000000000000`, which serde_json then
/// reads back as a `u64`; `-0.0` becomes `0` for the same reason (`numeric` has no negative zero).
/// Every other float prints in serde_json's shortest round-trip form, which `jsonb` preserves.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        // 2^63 and 2^64 are exactly representable, so these bounds are exact.
        const I64_RANGE: std::ops::Range<f64> =
            -9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0;
        const U64_RANGE: std::ops::Range<f64> = 0.0..18_446_744_073_709_551_616.0;
        if f.fract() == 0.0 && I64_RANGE.contains(&f) {
            out.extend_from_slice((f as i64).to_string().as_bytes());
        } else if f.fract() == 0.0 && U64_RANGE.contains(&f) {
            out.extend_from_slice((f as u64).to_string().as_bytes());
        } else {
            out.extend_from_slice(n.to_string().as_bytes());
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing a string into a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields<'a>(data: &'a Value, metadata: &'a Value) -> CanonicalFields<'a> {
        CanonicalFields {
            stream_id: "user-1",
            event_id: Uuid::nil(),
            event_type: "UserRegistered",
            schema_version: 2,
            recorded_at: DateTime::from_timestamp(1_800_000_000, 4_000).unwrap(),
            data,
            metadata,
        }
    }

    #[test]
    fn fixed_field_order_and_sorted_keys() {
        let data = json!({"b": 1, "a": {"z": [true, null], "y": "x\"y"}});
        let meta = json!({});
        let bytes = canonical_bytes(7, &fields(&data, &meta));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"[7,"user-1","00000000-0000-0000-0000-000000000000","UserRegistered",2,"2027-01-15T08:00:00.000004Z",{"a":{"y":"x\"y","z":[true,null]},"b":1},{}]"#
        );
    }

    #[test]
    fn timestamps_have_six_fraction_digits() {
        let at = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        assert_eq!(timestamp(at), "2027-01-15T08:00:00.123456Z");
        assert_eq!(
            timestamp(at),
            at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        );
    }

    #[test]
    fn key_insertion_order_does_not_matter() {
        let mut a = serde_json::Map::new();
        a.insert("x".into(), json!(1));
        a.insert("é".into(), json!(2));
        a.insert("A".into(), json!(3));
        let mut b = serde_json::Map::new();
        b.insert("A".into(), json!(3));
        b.insert("x".into(), json!(1));
        b.insert("é".into(), json!(2));
        assert_eq!(
            canonical_json(&Value::Object(a)),
            canonical_json(&Value::Object(b))
        );
    }

    #[test]
    fn numbers_normalise_to_what_jsonb_gives_back() {
        assert_eq!(canonical_json(&json!(1.0)), b"1");
        assert_eq!(canonical_json(&json!(-0.0)), b"0");
        assert_eq!(
            canonical_json(&json!(1e19)),
            canonical_json(&json!(10_000_000_000_000_000_000u64))
        );
        assert_eq!(canonical_json(&json!(0.1)), b"0.1");
        // jsonb prints 1e300 as 301 digits, which serde_json reads back as the same f64.
        let digits: Value = serde_json::from_str(&format!("1{}", "0".repeat(300))).unwrap();
        assert_eq!(canonical_json(&json!(1e300)), canonical_json(&digits));
        assert_eq!(canonical_json(&json!(-5)), b"-5");
    }

    #[test]
    fn hash_chains_over_prev_hash_and_version() {
        let data = json!({"k": "v"});
        let meta = json!({});
        let f = fields(&data, &meta);
        let h1 = event_hash(&GENESIS_HASH, 1, &f);
        let mut direct = Sha256::new();
        direct.update(GENESIS_HASH);
        direct.update(canonical_bytes(1, &f));
        assert_eq!(h1, <[u8; 32]>::from(direct.finalize()));
        assert_ne!(event_hash(&h1, 2, &f), event_hash(&GENESIS_HASH, 2, &f));
        assert_ne!(event_hash(&h1, 2, &f), event_hash(&h1, 3, &f));
    }
}
