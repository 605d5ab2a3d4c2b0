//! Building the documents area from configuration: the blob store (filesystem by default, S3
//! when configured), the settings, and the PostgreSQL adapters of its ports (the read model's
//! query port, the command handlers' facts, user directory and snapshots).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use commands::documents::{DocumentServices, DocumentSettings};
use domain::blob::BlobStore;
use domain::ports::Clock;
use infra::blob::{FsBlobStore, S3BlobStore, S3Config};
use infra::db::PgPool;
use infra::readmodels::documents::{PgDocumentReads, SqlFacts, SqlUsers};
use infra::snapshots::PgSnapshots;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::documents::Documents;
use crate::routes::blobs::FsBlobs;

/// The store named by `cfg.blob.store` (`fs` or `s3`). `public_url` is where clients reach this
/// server (the filesystem store's signed URLs point at it); without one they are completed from
/// each request's `Host`.
pub async fn blob_store(
    cfg: &Config,
    public_url: Option<&str>,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<dyn BlobStore>, FsBlobs)> {
    match cfg.blob.store.as_str() {
        "fs" => {
            let root = cfg
                .blob
                .fs_root
                .clone()
                .unwrap_or_else(|| cfg.data_dir.join("blobs"));
            let key = signing_key(cfg.url_signing_key.as_ref())?;
            let store = Arc::new(
                FsBlobStore::open(&root, key, public_url.map(str::to_owned), clock)
                    .await
                    .with_context(|| format!("opening the blob store at {}", root.display()))?,
            );
            Ok((store.clone(), FsBlobs(Some(store))))
        }
        "s3" => {
            let b = &cfg.blob;
            let s3 = S3BlobStore::new(&S3Config {
                endpoint: b.s3_endpoint.clone(),
                region: b.s3_region.clone(),
                bucket: b
                    .s3_bucket
                    .clone()
                    .context("DOCUVAULT_S3_BUCKET is required for the s3 blob store")?,
                path_style: b.s3_path_style,
                access_key: b
                    .s3_access_key
                    .clone()
                    .context("DOCUVAULT_S3_ACCESS_KEY is required for the s3 blob store")?,
                secret_key: b
                    .s3_secret_key
                    .clone()
                    .context("DOCUVAULT_S3_SECRET_KEY is required for the s3 blob store")?,
            });
            Ok((Arc::new(s3), FsBlobs(None)))
        }
        other => bail!("unknown blob store `{other}` (expected fs or s3)"),
    }
}

/// The URL-signing key: base64 of at least 32 bytes.
fn signing_key(key: Option<&SecretString>) -> Result<Vec<u8>> {
    let key = key.context(
        "DOCUVAULT_URL_SIGNING_KEY is required for the filesystem blob store (`docuvault dev` generates one)",
    )?;
    let bytes = STANDARD
        .decode(key.expose_secret().trim())
        .context("DOCUVAULT_URL_SIGNING_KEY must be base64")?;
    if bytes.len() < 32 {
        bail!("DOCUVAULT_URL_SIGNING_KEY must be at least 32 bytes");
    }
    Ok(bytes)
}

/// Limits and lifetimes from the configuration.
pub fn settings(cfg: &Config) -> DocumentSettings {
    DocumentSettings {
        default_quota_bytes: cfg.default_quota_bytes,
        trash_retention: Duration::from_secs(u64::from(cfg.trash_retention_days) * 24 * 3600),
        ..DocumentSettings::default()
    }
}

/// Everything the documents routes need, from configuration: the read model on `pool` and, for
/// page reads, `pages` (`wiring::core::connect_pages`).
pub async fn documents(
    cfg: &Config,
    pool: PgPool,
    pages: PgPool,
    public_url: Option<&str>,
    clock: Arc<dyn Clock>,
) -> Result<Documents> {
    let (blobs, fs) = blob_store(cfg, public_url, clock).await?;
    Ok(Documents {
        services: DocumentServices {
            blobs,
            facts: Arc::new(SqlFacts { pool: pool.clone() }),
            users: Arc::new(SqlUsers { pool: pool.clone() }),
            snapshots: Arc::new(PgSnapshots { pool: pool.clone() }),
            settings: settings(cfg),
        },
        reads: Arc::new(PgDocumentReads { pool, pages }),
        fs,
    })
}
