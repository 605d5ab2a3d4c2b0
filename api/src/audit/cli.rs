//! The operator's audit tools behind `docuvault audit export | verify --export | replay`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use commands::CommandContext;
use domain::audit::AuditAccessEvent;
use domain::ports::{Clock, EventStore, SystemClock};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::export::{self, ExportJob, Format, SigningKey};
use super::replay;
use super::Selection;
use crate::cli::AuditFilterArgs;
use crate::config::Config;

impl From<AuditFilterArgs> for Selection {
    fn from(f: AuditFilterArgs) -> Self {
        Selection {
            actor: f.actor,
            subject_user: f.subject_user,
            document_id: f.document_id,
            types: f
                .event_type
                .map(|t| t.split(',').map(|s| s.trim().to_owned()).collect()),
            from: f.from,
            to: f.to,
        }
    }
}

/// `docuvault audit export`: streams the export to `output` (or stdout) and records it.
pub async fn export(
    cfg: Config,
    filter: AuditFilterArgs,
    format: &str,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let format: Format = format.parse().map_err(anyhow::Error::msg)?;
    let key = SigningKey::from_config(&cfg)?;
    let core = crate::wiring::core::open_core(&cfg).await?;
    let selection: Selection = filter.into();
    let recorded = selection.recorded();
    let job = ExportJob {
        store: core.store.clone(),
        reads: crate::wiring::audit_reads(&core),
        selection,
        format,
        key,
        now: SystemClock.now(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let task = tokio::spawn(export::run(job, tx));
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match output {
        Some(p) => Box::new(
            tokio::fs::File::create(p)
                .await
                .with_context(|| format!("creating {}", p.display()))?,
        ),
        None => Box::new(tokio::io::stdout()),
    };
    while let Some(chunk) = rx.recv().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    let done = task.await??;
    let store: Arc<dyn EventStore> = core.store.clone();
    let ctx = CommandContext::system(store, Arc::new(SystemClock));
    commands::audit::record(
        &ctx,
        &AuditAccessEvent::AuditLogExported {
            selection: recorded,
            format: format.as_str().to_owned(),
            events: done.entries,
            content_sha256: done.content_sha256.clone(),
        },
    )
    .await?;
    eprintln!(
        "exported {} entries of {} streams (content SHA-256 {})",
        done.entries, done.streams, done.content_sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// `docuvault audit verify --export FILE`: needs only the signing key, no database.
pub async fn verify_export(cfg: Config, file: &Path) -> Result<ExitCode> {
    let key = SigningKey::from_config(&cfg)?;
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    match super::verify::verify_export(&bytes, &key) {
        Ok(check) => {
            println!(
                "export intact: {} {} entries of {} streams, signature valid (key {}), {} hashes recomputed",
                check.entries, check.format, check.streams, key.key_id, check.hashes_recomputed
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("export NOT intact: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `docuvault audit replay --at … --user …|--document …`: prints the answer as JSON.
pub async fn replay(
    cfg: Config,
    at: Option<chrono::DateTime<chrono::Utc>>,
    user: Option<Uuid>,
    document: Option<Uuid>,
) -> Result<ExitCode> {
    let core = crate::wiring::core::open_core(&cfg).await?;
    let at = at.unwrap_or_else(|| SystemClock.now());
    let store: Arc<dyn EventStore> = core.store.clone();
    let reads = crate::wiring::audit_reads(&core);
    let answer = match (document, user) {
        (Some(d), _) => serde_json::to_value(
            replay::document_as_of(store.as_ref(), reads.as_ref(), d, at).await?,
        )?,
        (None, Some(u)) => {
            serde_json::to_value(replay::user_as_of(store.as_ref(), reads.as_ref(), u, at).await?)?
        }
        (None, None) => anyhow::bail!("give --user or --document"),
    };
    let ctx = CommandContext::system(store, Arc::new(SystemClock));
    commands::audit::record(
        &ctx,
        &AuditAccessEvent::AuditReplayed {
            at,
            document_id: document,
            user_id: user,
        },
    )
    .await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({"at": at, "answer": answer}))?
    );
    Ok(ExitCode::SUCCESS)
}
