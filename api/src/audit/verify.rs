//! Checking an audit export offline: the manifest's signature, the digest of every byte before
//! it, and (JSON Lines) each entry's hash recomputed from its stored form, the chain links
//! between consecutive entries of a stream, and the stream heads the manifest names.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::chain::canonical::{event_hash, CanonicalFields, GENESIS_HASH};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::export::{signed_bytes, SigningKey, CSV_MANIFEST_PREFIX};

/// What a successful check covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCheck {
    pub format: String,
    pub entries: u64,
    pub streams: usize,
    /// Entries whose hash was recomputed from their stored form (all of them for JSON Lines).
    pub hashes_recomputed: u64,
}

/// Why an export does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportProblem {
    #[error("no manifest line at the end of the export")]
    NoManifest,
    #[error("the manifest is malformed: {0}")]
    BadManifest(String),
    #[error("signed with key {found}, but the configured key is {expected}")]
    WrongKey { expected: String, found: String },
    #[error("the manifest's signature does not match: the manifest was altered")]
    BadSignature,
    #[error(
        "the entries' SHA-256 is {actual}, the manifest says {expected}: the entries were altered"
    )]
    ContentAltered { expected: String, actual: String },
    #[error("line {line}: {reason}")]
    BadEntry { line: usize, reason: String },
    #[error("the manifest lists {expected} entries, the export holds {actual}")]
    EntryCount { expected: u64, actual: u64 },
    #[error("stream {0}: its head differs from the manifest's")]
    HeadMismatch(String),
}

/// Verifies an export produced by [`super::export::run`] against the signing key.
pub fn verify_export(bytes: &[u8], key: &SigningKey) -> Result<ExportCheck, ExportProblem> {
    let body = bytes.strip_suffix(b"\n").ok_or(ExportProblem::NoManifest)?;
    let split = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let (content, last) = body.split_at(split);
    let last = std::str::from_utf8(last).map_err(|_| ExportProblem::NoManifest)?;
    let manifest: Value = if let Some(json) = last.strip_prefix(CSV_MANIFEST_PREFIX) {
        serde_json::from_str(json).map_err(|e| ExportProblem::BadManifest(e.to_string()))?
    } else {
        let v: Value = serde_json::from_str(last).map_err(|_| ExportProblem::NoManifest)?;
        v.get("manifest")
            .cloned()
            .ok_or(ExportProblem::NoManifest)?
    };
    let field = |name: &str| {
        manifest
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ExportProblem::BadManifest(format!("missing `{name}`")))
    };
    let found = field("key_id")?;
    if found != key.key_id {
        return Err(ExportProblem::WrongKey {
            expected: key.key_id.clone(),
            found,
        });
    }
    if !key.verify(&signed_bytes(&manifest), &field("signature")?) {
        return Err(ExportProblem::BadSignature);
    }
    let expected = field("content_sha256")?;
    let actual = hex::encode(Sha256::digest(content));
    if expected != actual {
        return Err(ExportProblem::ContentAltered { expected, actual });
    }
    let format = field("format")?;
    let text = std::str::from_utf8(content).map_err(|_| ExportProblem::BadEntry {
        line: 0,
        reason: "not UTF-8".into(),
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let (entries, hashes_recomputed, heads) = match format.as_str() {
        "jsonl" => check_jsonl(&lines)?,
        "csv" => (lines.len().saturating_sub(1) as u64, 0, None),
        other => {
            return Err(ExportProblem::BadManifest(format!(
                "unknown format {other}"
            )))
        }
    };
    let listed = manifest
        .get("entries")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    if listed != entries {
        return Err(ExportProblem::EntryCount {
            expected: listed,
            actual: entries,
        });
    }
    let streams = manifest
        .get("streams")
        .and_then(Value::as_object)
        .ok_or_else(|| ExportProblem::BadManifest("missing `streams`".into()))?;
    if let Some(heads) = heads {
        if heads.len() != streams.len() {
            return Err(ExportProblem::BadManifest("stream count differs".into()));
        }
        for (stream, (version, hash)) in &heads {
            let m = streams.get(stream);
            let ok = m
                .and_then(|m| m.get("head_version"))
                .and_then(Value::as_u64)
                == Some(*version)
                && m.and_then(|m| m.get("head_hash")).and_then(Value::as_str)
                    == Some(hash.as_str());
            if !ok {
                return Err(ExportProblem::HeadMismatch(stream.clone()));
            }
        }
    }
    Ok(ExportCheck {
        format,
        entries,
        streams: streams.len(),
        hashes_recomputed,
    })
}

type Heads = BTreeMap<String, (u64, String)>;

/// Recomputes every entry's hash and checks links between consecutive versions of a stream.
fn check_jsonl(lines: &[&str]) -> Result<(u64, u64, Option<Heads>), ExportProblem> {
    let mut heads: Heads = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let bad = |reason: &str| ExportProblem::BadEntry {
            line: i + 1,
            reason: reason.to_owned(),
        };
        let v: Value = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
        let chain = v.get("chain").ok_or_else(|| bad("chain"))?;
        let cs = |k: &str| chain.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
        let stream_id = s("stream_id")?;
        let version = v
            .get("stream_version")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("stream_version"))?;
        let event_id: Uuid = s("event_id")?.parse().map_err(|_| bad("event_id"))?;
        let recorded_at: DateTime<Utc> =
            s("recorded_at")?.parse().map_err(|_| bad("recorded_at"))?;
        let schema_version = chain
            .get("schema_version")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("schema_version"))?;
        let prev = hex::decode(cs("prev_hash")?).map_err(|_| bad("prev_hash"))?;
        let hash = cs("hash")?;
        let empty = Value::Null;
        let fields = CanonicalFields {
            stream_id,
            event_id,
            event_type: s("type")?,
            schema_version: schema_version as u32,
            recorded_at,
            data: chain.get("stored_data").unwrap_or(&empty),
            metadata: chain.get("stored_metadata").unwrap_or(&empty),
        };
        if hex::encode(event_hash(&prev, version, &fields)) != hash {
            return Err(bad("the hash does not match the event's stored form"));
        }
        if version == 1 && prev != GENESIS_HASH {
            return Err(bad(
                "a stream's first event must chain onto the genesis hash",
            ));
        }
        if let Some((v_prev, h_prev)) = heads.get(stream_id) {
            if *v_prev + 1 == version && hex::encode(&prev) != *h_prev {
                return Err(bad(
                    "prev_hash does not link to the previous entry of the stream",
                ));
            }
        }
        heads.insert(stream_id.to_owned(), (version, hash.to_owned()));
    }
    let n = lines.len() as u64;
    Ok((n, n, Some(heads)))
}
