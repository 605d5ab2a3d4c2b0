//! The core services every subcommand opens: the database pools (main and page reads), the key
//! ring and the configured event store. Here, in the wiring, is the only place `api` names the
//! PostgreSQL pool type (`infra::db::PgPool`; `api` does not depend on sqlx).

use std::sync::Arc;

use anyhow::{Context, Result};
use infra::db::PgPool;

use crate::config::Config;

/// Connects to `DATABASE_URL` (required outside `dev`).
pub async fn connect(cfg: &Config) -> Result<PgPool> {
    let url = cfg
        .database_url()
        .context("DATABASE_URL is not set (or use `docuvault dev` for the embedded default)")?;
    infra::db::connect(url)
        .await
        .context("connecting to PostgreSQL")
}

/// A second, lazily opened pool for page reads and searches (`infra::page_read_pool`: generic
/// plans, twice the CPUs in connections unless `DOCUVAULT_PAGE_CONNECTIONS` says otherwise).
/// Every other statement keeps PostgreSQL's defaults on the main pool.
pub fn connect_pages(cfg: &Config) -> Result<PgPool> {
    let url = cfg
        .database_url()
        .context("DATABASE_URL is not set (or use `docuvault dev` for the embedded default)")?;
    infra::db::page_read_pool_at(url, cfg.page_connections()).context("parsing DATABASE_URL")
}

/// The database pool (migrated), the key ring and the event store.
pub struct Core {
    pub pool: PgPool,
    /// The page reads' pool ([`connect_pages`]).
    pub pages: PgPool,
    pub keys: Arc<infra::eventstore::PgDataKeys>,
    /// PostgreSQL's by default, KurrentDB's when `DOCUVAULT_KURRENTDB_URL` is set.
    pub store: Arc<dyn domain::ports::EventStore>,
}

/// Connects, migrates, and opens the key ring and the event store.
pub async fn open_core(cfg: &Config) -> Result<Core> {
    use secrecy::ExposeSecret;
    let pool = connect(cfg).await?;
    infra::migrate(&pool).await.context("applying migrations")?;
    let master = cfg
        .master_key
        .as_ref()
        .context("DOCUVAULT_MASTER_KEY is not set (base64 of 32 random bytes)")?;
    let master = infra::eventstore::MasterKey::from_base64(master.expose_secret())
        .map_err(|_| anyhow::anyhow!("DOCUVAULT_MASTER_KEY must be base64 of exactly 32 bytes"))?;
    let keys = Arc::new(infra::eventstore::PgDataKeys::new(pool.clone(), master));
    let store = event_store(cfg, &pool, keys.clone())?;
    let pages = connect_pages(cfg)?;
    Ok(Core {
        pool,
        pages,
        keys,
        store,
    })
}

/// The configured event store: KurrentDB when a URL is set, PostgreSQL otherwise. Either way
/// the key ring is PostgreSQL's.
pub(crate) fn event_store(
    cfg: &Config,
    pool: &PgPool,
    keys: Arc<dyn domain::ports::DataKeys>,
) -> Result<Arc<dyn domain::ports::EventStore>> {
    Ok(match cfg.kurrentdb_url() {
        Some(url) => {
            tracing::info!("event store: KurrentDB");
            Arc::new(
                infra::eventstore::KurrentEventStore::connect(url, keys)
                    .context("DOCUVAULT_KURRENTDB_URL")?,
            )
        }
        None => Arc::new(infra::eventstore::PgEventStore::new(pool.clone(), keys)),
    })
}

/// Applies every migration (event store and read models) on `DATABASE_URL`.
pub async fn migrate(cfg: &Config) -> Result<()> {
    let pool = connect(cfg).await?;
    infra::migrate(&pool).await.context("applying migrations")
}

/// Recomputes every stream's hash chain through the configured event store, reading the
/// sealed form: no master key is needed, and none is used.
pub async fn verify_log(cfg: &Config) -> Result<domain::chain::VerifyReport> {
    let pool = connect(cfg).await?;
    let store = event_store(cfg, &pool, Arc::new(infra::eventstore::SealedOnly))?;
    domain::chain::verify_store(store.as_ref())
        .await
        .context("verifying the event log")
}

/// The embedded PostgreSQL cluster `docuvault dev` runs when no `DATABASE_URL` is given.
pub struct DevDatabase(infra::pgcluster::PgCluster);

impl DevDatabase {
    /// Starts (initialising on first use) the cluster in `dir` and creates the `docuvault`
    /// database; returns it with that database's URL.
    pub async fn start(dir: std::path::PathBuf) -> Result<(Self, String)> {
        let cluster =
            tokio::task::spawn_blocking(move || infra::pgcluster::PgCluster::start(&dir)).await??;
        infra::db::ensure_database(&cluster.url("postgres"), "docuvault")
            .await
            .context("creating the docuvault database")?;
        let url = cluster.url("docuvault");
        Ok((Self(cluster), url))
    }

    /// Stops the cluster (fast shutdown).
    pub async fn stop(self) -> Result<()> {
        tokio::task::spawn_blocking(move || self.0.stop()).await??;
        Ok(())
    }
}

/// Re-seals every cloud storage credential from the `old` key to the `new` one (base64 of 32
/// bytes each) in one transaction: every row moves, or none does.
pub async fn rotate_cloud_key(cfg: &Config, old: &str, new: &str) -> Result<u64> {
    let parse = |which: &str, key: &str| {
        infra::storage::CloudCredsKey::from_base64(key)
            .map_err(|_| anyhow::anyhow!("the {which} key must be base64 of exactly 32 bytes"))
    };
    let (old, new) = (parse("old", old)?, parse("new", new)?);
    let pool = connect(cfg).await?;
    infra::migrate(&pool).await.context("applying migrations")?;
    infra::storage::PgCredentialVault::rotate(&pool, &old, &new)
        .await
        .context("re-sealing the credentials (nothing was changed)")
}
