//! `docuvault import-legacy DIR --owner HANDLE`: imports the flat-file store of the original
//! product (`DIR/metadata/<id>.json` beside `DIR/uploads/<id>.<ext>`) as ordinary one-step
//! uploads owned by one user, with the original timestamps in the events' metadata.
//!
//! - Idempotent: each document's id is derived from (owner, legacy id, original time), so a
//!   re-run finds the stream already there and imports nothing twice.
//! - All-or-nothing per document: the upload either ends confirmed, or its object is deleted
//!   and nothing is charged (the ordinary upload path guarantees it).
//! - Malformed entries (unreadable JSON, no name, missing or differently sized file) are
//!   reported and skipped; they never stop the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use commands::documents::upload::{upload_stream_as, UploadTarget};
use commands::documents::DocumentServices;
use commands::{Actor, CommandContext, Role};
use domain::document::{Document, Status};
use domain::ids::{DocumentId, UserId};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// One legacy document, parsed.
#[derive(Debug, Clone)]
pub struct LegacyEntry {
    pub legacy_id: String,
    pub filename: String,
    pub content_type: String,
    pub uploaded_at: Option<DateTime<Utc>>,
    pub file: PathBuf,
    pub size: u64,
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported(Uuid),
    /// Dry run: it would have been imported.
    WouldImport(Uuid),
    AlreadyImported(Uuid),
    /// Not imported; the reason.
    Malformed(String),
    Failed(String),
}

/// The run's result per legacy id, plus counts.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub outcomes: BTreeMap<String, Outcome>,
}

impl ImportSummary {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.values().filter(|o| f(o)).count()
    }
    pub fn imported(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Imported(_) | Outcome::WouldImport(_)))
    }
    pub fn already(&self) -> usize {
        self.count(|o| matches!(o, Outcome::AlreadyImported(_)))
    }
    pub fn malformed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Malformed(_)))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }
}

fn first_str<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses `metadata/<id>.json` and finds its upload. Accepts the field names the legacy code
/// used over time (`filename`/`original_name`/`name`, `content_type`/`mime_type`,
/// `uploaded_at`/`created_at`, `size`/`size_bytes`).
pub fn parse_entry(dir: &Path, meta: &Path) -> Result<LegacyEntry, String> {
    let stem = meta
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or("metadata file name is not UTF-8")?;
    let text = std::fs::read_to_string(meta).map_err(|e| format!("unreadable: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let legacy_id = first_str(&v, &["id"]).unwrap_or(stem).to_owned();
    let filename = first_str(&v, &["filename", "original_name", "name"])
        .ok_or("no filename")?
        .to_owned();
    let content_type = first_str(&v, &["content_type", "mime_type"])
        .unwrap_or("application/octet-stream")
        .to_owned();
    let uploaded_at = match first_str(&v, &["uploaded_at", "created_at"]) {
        Some(t) => Some(
            t.parse::<DateTime<Utc>>()
                .map_err(|_| format!("uploaded_at `{t}` is not RFC 3339"))?,
        ),
        None => None,
    };
    let uploads = dir.join("uploads");
    let file = std::fs::read_dir(&uploads)
        .map_err(|e| format!("{}: {e}", uploads.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(legacy_id.as_str()))
        .ok_or_else(|| format!("no file uploads/{legacy_id}.*"))?;
    let size = std::fs::metadata(&file)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .len();
    if let Some(declared) = ["size", "size_bytes"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_u64))
    {
        if declared != size {
            return Err(format!(
                "declared size {declared} but the file has {size} bytes"
            ));
        }
    }
    Ok(LegacyEntry {
        legacy_id,
        filename,
        content_type,
        uploaded_at,
        file,
        size,
    })
}

/// The document id of a legacy entry: a UUIDv7 carrying the original upload time (so imported
/// documents sort where they belong) whose other bits are a digest of the owner and legacy id.
pub fn document_id_for(owner: Uuid, entry: &LegacyEntry) -> DocumentId {
    let digest = Sha256::digest(format!("docuvault-legacy:{owner}:{}", entry.legacy_id));
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    let millis = entry
        .uploaded_at
        .map(|t| t.timestamp_millis().max(0) as u64)
        .unwrap_or(0);
    DocumentId(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
}

/// Every `metadata/*.json` under `dir`, sorted.
pub fn metadata_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("metadata"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Imports one parsed entry (or only checks it on a dry run).
async fn import_one(
    ctx: &CommandContext,
    svc: &DocumentServices,
    owner: UserId,
    entry: &LegacyEntry,
    dry_run: bool,
) -> Outcome {
    let id = document_id_for(owner.as_uuid(), entry);
    let existing = match commands::load::<Document>(ctx, id.as_uuid()).await {
        Ok(l) => l.state,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    if let Some(d) = existing.data() {
        return match d.status {
            Status::Active | Status::Trashed | Status::Purged => Outcome::AlreadyImported(id.0),
            other => Outcome::Failed(format!(
                "an earlier attempt left it {} (see the audit log)",
                other.as_str()
            )),
        };
    }
    if dry_run {
        return Outcome::WouldImport(id.0);
    }
    let file = match tokio::fs::File::open(&entry.file).await {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(format!("{}: {e}", entry.file.display())),
    };
    let body = futures::StreamExt::boxed(tokio_util_stream(file));
    let mut ctx = ctx.clone();
    ctx.extra = Some(json!({
        "legacy_import": {
            "legacy_id": entry.legacy_id,
            "original_uploaded_at": entry.uploaded_at,
        }
    }));
    let target = UploadTarget {
        document_id: id,
        folder_id: None,
    };
    match upload_stream_as(
        &ctx,
        svc,
        owner,
        target,
        &entry.filename,
        &entry.content_type,
        body,
    )
    .await
    {
        Ok(_) => Outcome::Imported(id.0),
        Err(e) => Outcome::Failed(format!("{e:?}")),
    }
}

/// The file as a byte stream in 64 KiB chunks.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}

/// Imports every entry of `dir` for `owner`, calling `progress(done, total, legacy_id)` after
/// each.
pub async fn import_dir(
    ctx: &CommandContext,
    svc: &DocumentServices,
    dir: &Path,
    owner: UserId,
    dry_run: bool,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> std::io::Result<ImportSummary> {
    let files = metadata_files(dir)?;
    let mut summary = ImportSummary::default();
    let total = files.len();
    for (i, meta) in files.iter().enumerate() {
        let label = meta
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let outcome = match parse_entry(dir, meta) {
            Ok(entry) => import_one(ctx, svc, owner, &entry, dry_run).await,
            Err(reason) => Outcome::Malformed(reason),
        };
        summary.outcomes.insert(label.clone(), outcome);
        progress(i + 1, total, &label);
    }
    Ok(summary)
}

/// The owner's command context: the import acts as the owner (it is their upload), from the
/// operator's machine.
pub fn owner_context(ctx: CommandContext, owner: UserId) -> CommandContext {
    ctx.with_actor(Actor::User {
        id: owner.as_uuid(),
        role: Role::User,
    })
}

/// The subcommand: resolves the owner's handle, imports with a progress bar, prints a summary.
/// Exits non-zero when an entry failed to import (malformed entries are reported, not fatal).
pub async fn run(
    cfg: crate::Config,
    dir: &Path,
    owner_handle: &str,
    dry_run: bool,
) -> anyhow::Result<std::process::ExitCode> {
    use std::sync::Arc;
    let cfg = Arc::new(cfg);
    let core = crate::wiring::core::open_core(&cfg).await?;
    let handle = owner_handle.trim_start_matches('@').to_lowercase();
    let clock: Arc<dyn domain::ports::Clock> = Arc::new(domain::ports::SystemClock);
    let documents = crate::wiring::documents::documents(
        &cfg,
        core.pool.clone(),
        core.pages.clone(),
        cfg.public_url.as_deref(),
        clock.clone(),
    )
    .await?;
    let owner = documents
        .services
        .users
        .find_by_handle(&handle)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user @{handle}"))?;
    let store: Arc<dyn domain::ports::EventStore> = core.store.clone();
    let ctx = owner_context(CommandContext::system(store, clock), owner);
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:40}] {pos}/{len} documents  {per_sec}  ETA {eta}  {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_prefix(if dry_run { "checking" } else { "importing" });
    let progress_bar = bar.clone();
    let progress = move |done: usize, total: usize, id: &str| {
        progress_bar.set_length(total as u64);
        progress_bar.set_position(done as u64);
        progress_bar.set_message(id.to_owned());
    };
    let summary = import_dir(&ctx, &documents.services, dir, owner, dry_run, &progress)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    bar.finish_and_clear();
    for (id, outcome) in &summary.outcomes {
        match outcome {
            Outcome::Malformed(reason) => println!("skipped {id}: malformed: {reason}"),
            Outcome::Failed(reason) => println!("FAILED  {id}: {reason}"),
            _ => {}
        }
    }
    println!(
        "{}: {} {}, {} already imported, {} malformed (skipped), {} failed",
        dir.display(),
        summary.imported(),
        if dry_run { "to import" } else { "imported" },
        summary.already(),
        summary.malformed(),
        summary.failed()
    );
    Ok(if summary.failed() == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
