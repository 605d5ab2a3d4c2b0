//! Audit exports: the selected entries as JSON Lines or CSV, each with its hash-chain fields, and a
//! final manifest line signed with HMAC-SHA256 so a third party holding the key can check that
//! nothing was altered (see [`super::verify`]).
//!
//! Layout (JSON Lines): one entry per line — the rendered [`AuditEntry`] plus `chain`
//! (`hash`, `prev_hash`, `schema_version`, and the stored, still-sealed `data` and `metadata`,
//! from which the event's hash can be recomputed) — then one line `{"manifest": {…}}`.
//! CSV: a header row, one row per entry, then one line `# manifest {…}`. The manifest holds the
//! SHA-256 of every byte before it, the head (last included) version and hash of every included
//! stream, and the signature over its own canonical JSON without the `signature` field.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::audit::AuditSelection;
use domain::ports::{ChainLink, EventStore, StoreError};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::entries::{render, AuditEntry, RenderError};
use projections::audit::query::{AuditReads, Order, Selection};
use projections::ReadError;

/// Entries fetched and rendered per round trip.
const BATCH: i64 = 500;
pub const MANIFEST_VERSION: u32 = 1;
pub const ALGORITHM: &str = "HMAC-SHA256";
/// CSV's manifest line starts with this.
pub const CSV_MANIFEST_PREFIX: &str = "# manifest ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/jsonl",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jsonl" => Ok(Self::Jsonl),
            "csv" => Ok(Self::Csv),
            other => Err(format!("unknown export format `{other}` (jsonl or csv)")),
        }
    }
}

/// The HMAC key and its public identifier (first 16 hex digits of its SHA-256).
#[derive(Clone)]
pub struct SigningKey {
    key: Vec<u8>,
    pub key_id: String,
}

impl SigningKey {
    pub fn new(key: &[u8]) -> Self {
        let key_id = hex::encode(&Sha256::digest(key)[..8]);
        Self {
            key: key.to_vec(),
            key_id,
        }
    }

    /// The configured key, else one derived from the master key (so `docuvault dev` can sign
    /// without another secret; operators who hand keys to verifiers configure their own).
    pub fn from_config(cfg: &crate::Config) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        if let Some(k) = &cfg.audit_signing_key {
            return Ok(Self::new(k.expose_secret().as_bytes()));
        }
        let master = cfg.master_key.as_ref().ok_or_else(|| {
            anyhow::anyhow!("neither an audit signing key nor a master key is set")
        })?;
        Ok(Self::new(&sign_bytes(
            master.expose_secret().as_bytes(),
            b"docuvault audit export signing key v1",
        )))
    }

    /// Hex HMAC-SHA256 of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(sign_bytes(&self.key, message))
    }

    /// Whether `signature_hex` is this key's signature of `message` (constant-time comparison).
    pub fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        let Ok(sig) = hex::decode(signature_hex) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(message);
        mac.verify_slice(&sig).is_ok()
    }
}

fn sign_bytes(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The signed part of a manifest: canonical JSON of everything but `signature`.
pub fn signed_bytes(manifest: &Value) -> Vec<u8> {
    let mut unsigned = manifest.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("signature");
    }
    domain::chain::canonical::canonical_json(&unsigned)
}

fn chain_json(c: &ChainLink) -> Value {
    json!({
        "hash": hex::encode(&c.event.hash),
        // The first event of a stream chains onto 32 zero bytes.
        "prev_hash": hex::encode(c.prev_hash.as_deref().unwrap_or(&[0u8; 32])),
        "schema_version": c.event.schema_version,
        "stored_data": c.event.data,
        "stored_metadata": c.event.metadata,
    })
}

const CSV_HEADER: &[&str] = &[
    "position",
    "recorded_at",
    "type",
    "stream_id",
    "stream_version",
    "event_id",
    "actor_id",
    "actor_handle",
    "subject_ids",
    "document_id",
    "summary",
    "personal_data",
    "hash",
    "prev_hash",
];

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\"").replace(['\r', '\n'], " "))
}

fn csv_row(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

fn entry_line(format: Format, e: &AuditEntry, chain: &ChainLink) -> String {
    match format {
        Format::Jsonl => {
            let mut v = serde_json::to_value(e).expect("entries serialize");
            v["chain"] = chain_json(chain);
            let mut line = v.to_string();
            line.push('\n');
            line
        }
        Format::Csv => csv_row(&[
            e.position.to_string(),
            e.recorded_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            e.event_type.clone(),
            e.stream_id.clone(),
            e.stream_version.to_string(),
            e.event_id.to_string(),
            e.actor
                .as_ref()
                .map(|a| a.id.to_string())
                .unwrap_or_default(),
            e.actor
                .as_ref()
                .and_then(|a| a.handle.clone())
                .unwrap_or_default(),
            e.subjects
                .iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            e.document_id.map(|d| d.to_string()).unwrap_or_default(),
            e.summary.clone(),
            serde_json::to_string(&e.personal_data).expect("map serializes"),
            hex::encode(&chain.event.hash),
            hex::encode(chain.prev_hash.as_deref().unwrap_or(&[0u8; 32])),
        ]),
    }
}

/// What an export produced.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub entries: u64,
    pub streams: usize,
    pub content_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The receiver went away (the client disconnected).
    #[error("the export's reader went away")]
    Closed,
}

/// What to export and how.
pub struct ExportJob {
    pub store: std::sync::Arc<dyn EventStore>,
    pub reads: std::sync::Arc<dyn AuditReads>,
    pub selection: Selection,
    pub format: Format,
    pub key: SigningKey,
    pub now: DateTime<Utc>,
}

/// Writes the export into `out` chunk by chunk (oldest first), ending with the manifest.
pub async fn run(
    job: ExportJob,
    out: mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<ExportSummary, ExportError> {
    let mut hasher = Sha256::new();
    let mut heads: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut entries = 0u64;
    let send = |chunk: String| {
        let out = out.clone();
        async move {
            out.send(Ok(Bytes::from(chunk)))
                .await
                .map_err(|_| ExportError::Closed)
        }
    };
    if job.format == Format::Csv {
        let header = csv_row(&CSV_HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        hasher.update(header.as_bytes());
        send(header).await?;
    }
    let mut after = None;
    loop {
        let rows = job
            .reads
            .page(&job.selection, Order::Oldest, after, BATCH)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.position);
        let rendered = render(job.store.as_ref(), job.reads.as_ref(), &rows).await?;
        let positions: Vec<u64> = rows.iter().map(|r| r.position.max(0) as u64).collect();
        let chains: BTreeMap<u64, ChainLink> = job
            .store
            .read_chain_links(&positions)
            .await?
            .into_iter()
            .map(|c| (c.event.global_position, c))
            .collect();
        let mut chunk = String::new();
        for e in &rendered {
            let Some(chain) = chains.get(&e.position) else {
                continue;
            };
            let line = entry_line(job.format, e, chain);
            hasher.update(line.as_bytes());
            chunk.push_str(&line);
            entries += 1;
            let head = heads
                .entry(e.stream_id.clone())
                .or_insert((0, String::new()));
            if e.stream_version >= head.0 {
                *head = (e.stream_version, hex::encode(&chain.event.hash));
            }
        }
        send(chunk).await?;
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    let content_sha256 = hex::encode(hasher.finalize());
    let manifest = manifest(&job, entries, &content_sha256, &heads);
    let line = match job.format {
        Format::Jsonl => format!("{}\n", json!({ "manifest": manifest })),
        Format::Csv => format!("{CSV_MANIFEST_PREFIX}{manifest}\n"),
    };
    send(line).await?;
    Ok(ExportSummary {
        entries,
        streams: heads.len(),
        content_sha256,
    })
}

fn manifest(
    job: &ExportJob,
    entries: u64,
    content_sha256: &str,
    heads: &BTreeMap<String, (u64, String)>,
) -> Value {
    let selection: AuditSelection = job.selection.recorded();
    let streams: serde_json::Map<String, Value> = heads
        .iter()
        .map(|(s, (v, h))| (s.clone(), json!({"head_version": v, "head_hash": h})))
        .collect();
    let mut m = json!({
        "version": MANIFEST_VERSION,
        "format": job.format.as_str(),
        "generated_at": job.now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "selection": selection,
        "entries": entries,
        "content_sha256": content_sha256,
        "streams": streams,
        "algorithm": ALGORITHM,
        "key_id": job.key.key_id,
    });
    let signature = job.key.sign(&signed_bytes(&m));
    m["signature"] = Value::String(signature);
    m
}
