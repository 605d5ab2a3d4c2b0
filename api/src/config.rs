//! Configuration: defaults, then an optional TOML file (`DOCUVAULT_CONFIG`), then `DOCUVAULT_*`
//! environment variables and `DATABASE_URL`. Secrets are `SecretString` and never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub bind: SocketAddr,
    /// The externally visible base URL (used for signed blob URLs), e.g. `https://vault.example`.
    pub public_url: Option<String>,
    pub database_url: Option<SecretString>,
    /// A KurrentDB/EventStoreDB connection string (`kurrentdb://…` or `esdb://…`): when set, the
    /// event log lives there instead of in PostgreSQL (which still holds the key ring, the read
    /// models and the checkpoints). A secret: it usually carries credentials.
    pub kurrentdb_url: Option<SecretString>,
    pub data_dir: PathBuf,
    /// Base64 of 32 bytes: wraps every per-user data key.
    pub master_key: Option<SecretString>,
    /// HS256 signing key(s) for access tokens: `kid:base64key` separated by commas; the first signs.
    pub jwt_keys: Option<SecretString>,
    /// Key for HMAC-signed filesystem blob URLs.
    pub url_signing_key: Option<SecretString>,
    /// Key for the HMAC-SHA256 signature of audit export manifests (give it to whoever verifies
    /// exports). Without one, a key derived from the master key is used.
    pub audit_signing_key: Option<SecretString>,
    pub blob: BlobConfig,
    pub default_quota_bytes: u64,
    pub trash_retention_days: u32,
    /// Client IPs are taken from `X-Forwarded-For` only when the peer is one of these.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where the built SPA lives (`web/dist`).
    pub web_dir: PathBuf,
    /// Run the projectors inside the API process.
    pub projectors: bool,
    /// How long a query carrying `X-Consistency-Token` waits for the projections, in ms.
    pub consistency_wait_ms: u64,
    /// Connections of the pool that serves page reads (folder pages, one document, search rows);
    /// `None`: twice the CPUs. Few connections queue requests fairly in the pool instead of
    /// letting many backends preempt each other, which keeps the latency tail short.
    pub page_connections: Option<u32>,
    /// Optional k-anonymity breach API (the public one's format), e.g. `https://api.pwnedpasswords.com`.
    pub breach_api_url: Option<String>,
    pub log_json: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobConfig {
    /// `fs` (default) or `s3`.
    pub store: String,
    pub fs_root: Option<PathBuf>,
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_bucket: Option<String>,
    pub s3_path_style: bool,
    pub s3_access_key: Option<SecretString>,
    pub s3_secret_key: Option<SecretString>,
}

impl Default for BlobConfig {
    fn default() -> Self {
        Self {
            store: "fs".into(),
            fs_root: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_bucket: None,
            s3_path_style: true,
            s3_access_key: None,
            s3_secret_key: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".parse().expect("static address"),
            public_url: None,
            database_url: None,
            kurrentdb_url: None,
            data_dir: PathBuf::from("data"),
            master_key: None,
            jwt_keys: None,
            url_signing_key: None,
            audit_signing_key: None,
            blob: BlobConfig::default(),
            default_quota_bytes: 100 * 1024 * 1024,
            trash_retention_days: 30,
            trusted_proxies: Vec::new(),
            web_dir: PathBuf::from("web/dist"),
            projectors: true,
            consistency_wait_ms: 5_000,
            page_connections: None,
            breach_api_url: None,
            log_json: false,
        }
    }
}

impl Config {
    /// The size of the page-read pool: the configured one, else twice the CPUs (at least 4).
    pub fn page_connections(&self) -> u32 {
        match self.page_connections {
            Some(n) => n.max(1),
            None => infra::default_page_connections(),
        }
    }

    /// Defaults ← `DOCUVAULT_CONFIG` TOML file ← environment.
    pub fn load() -> Result<Self> {
        let mut cfg = match std::env::var_os("DOCUVAULT_CONFIG") {
            Some(path) => Self::from_file(Path::new(&path))?,
            None => Self::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
    }

    /// Overrides from `DOCUVAULT_*` variables (and `DATABASE_URL`).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        let secret = |k: &str| get(k).map(SecretString::from);
        if let Some(v) = get("DOCUVAULT_BIND") {
            self.bind = v.parse().context("DOCUVAULT_BIND")?;
        }
        if let Some(v) = get("DOCUVAULT_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = secret("DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = secret("DOCUVAULT_KURRENTDB_URL").filter(|v| !v.expose_secret().is_empty())
        {
            self.kurrentdb_url = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = secret("DOCUVAULT_MASTER_KEY") {
            self.master_key = Some(v);
        }
        if let Some(v) = secret("DOCUVAULT_JWT_KEYS") {
            self.jwt_keys = Some(v);
        }
        if let Some(v) = secret("DOCUVAULT_URL_SIGNING_KEY") {
            self.url_signing_key = Some(v);
        }
        if let Some(v) = secret("DOCUVAULT_AUDIT_SIGNING_KEY") {
            self.audit_signing_key = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_BLOB_STORE") {
            self.blob.store = v;
        }
        if let Some(v) = get("DOCUVAULT_BLOB_FS_ROOT") {
            self.blob.fs_root = Some(v.into());
        }
        if let Some(v) = get("DOCUVAULT_S3_ENDPOINT") {
            self.blob.s3_endpoint = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_S3_REGION") {
            self.blob.s3_region = v;
        }
        if let Some(v) = get("DOCUVAULT_S3_BUCKET") {
            self.blob.s3_bucket = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_S3_PATH_STYLE") {
            self.blob.s3_path_style = parse_bool(&v).context("DOCUVAULT_S3_PATH_STYLE")?;
        }
        if let Some(v) = secret("DOCUVAULT_S3_ACCESS_KEY") {
            self.blob.s3_access_key = Some(v);
        }
        if let Some(v) = secret("DOCUVAULT_S3_SECRET_KEY") {
            self.blob.s3_secret_key = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_DEFAULT_QUOTA_BYTES") {
            self.default_quota_bytes = v.parse().context("DOCUVAULT_DEFAULT_QUOTA_BYTES")?;
        }
        if let Some(v) = get("DOCUVAULT_TRASH_RETENTION_DAYS") {
            self.trash_retention_days = v.parse().context("DOCUVAULT_TRASH_RETENTION_DAYS")?;
        }
        if let Some(v) = get("DOCUVAULT_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse())
                .collect::<Result<_, _>>()
                .context("DOCUVAULT_TRUSTED_PROXIES")?;
        }
        if let Some(v) = get("DOCUVAULT_WEB_DIR") {
            self.web_dir = v.into();
        }
        if let Some(v) = get("DOCUVAULT_CONSISTENCY_WAIT_MS") {
            self.consistency_wait_ms = v.parse().context("DOCUVAULT_CONSISTENCY_WAIT_MS")?;
        }
        if let Some(v) = get("DOCUVAULT_PAGE_CONNECTIONS") {
            let n: u32 = v.parse().context("DOCUVAULT_PAGE_CONNECTIONS")?;
            anyhow::ensure!(n > 0, "DOCUVAULT_PAGE_CONNECTIONS must be at least 1");
            self.page_connections = Some(n);
        }
        if let Some(v) = get("DOCUVAULT_BREACH_API_URL") {
            self.breach_api_url = Some(v);
        }
        if let Some(v) = get("DOCUVAULT_LOG_JSON") {
            self.log_json = parse_bool(&v).context("DOCUVAULT_LOG_JSON")?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|s| s.expose_secret())
    }

    pub fn kurrentdb_url(&self) -> Option<&str> {
        self.kurrentdb_url.as_ref().map(|s| s.expose_secret())
    }
}

fn parse_bool(v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => anyhow::bail!("expected true or false, got `{v}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "DOCUVAULT_BIND" => Some("0.0.0.0:9000".into()),
            "DOCUVAULT_S3_PATH_STYLE" => Some("false".into()),
            "DOCUVAULT_TRUSTED_PROXIES" => Some("10.0.0.1, 127.0.0.1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert!(!c.blob.s3_path_style);
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.default_quota_bytes, 100 * 1024 * 1024);
        assert_eq!(
            c.kurrentdb_url(),
            None,
            "PostgreSQL is the default event store"
        );
    }

    #[test]
    fn a_kurrentdb_url_selects_kurrentdb() {
        let mut c = Config::default();
        let url = "kurrentdb://admin:changeit@localhost:2113?tls=false";
        c.apply_env(|k| (k == "DOCUVAULT_KURRENTDB_URL").then(|| url.into()))
            .unwrap();
        assert_eq!(c.kurrentdb_url(), Some(url));
        assert!(
            !format!("{c:?}").contains("changeit"),
            "the URL is a secret"
        );
        let mut empty = Config::default();
        empty
            .apply_env(|k| (k == "DOCUVAULT_KURRENTDB_URL").then(String::new))
            .unwrap();
        assert_eq!(empty.kurrentdb_url(), None);
        let from_toml: Config = toml::from_str(&format!("kurrentdb_url = \"{url}\"")).unwrap();
        assert_eq!(from_toml.kurrentdb_url(), Some(url));
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = Config::default();
        let err = c
            .apply_env(|k| (k == "DOCUVAULT_DEFAULT_QUOTA_BYTES").then(|| "lots".into()))
            .unwrap_err();
        assert!(err.to_string().contains("DOCUVAULT_DEFAULT_QUOTA_BYTES"));
    }

    #[test]
    fn the_page_pool_is_twice_the_cpus_unless_configured() {
        let c = Config::default();
        let cpus = std::thread::available_parallelism().unwrap().get() as u32;
        assert_eq!(c.page_connections(), (2 * cpus).clamp(4, 32));
        let mut set = Config::default();
        set.apply_env(|k| (k == "DOCUVAULT_PAGE_CONNECTIONS").then(|| "6".into()))
            .unwrap();
        assert_eq!(set.page_connections(), 6);
        for bad in ["0", "-1", "many"] {
            let err = Config::default()
                .apply_env(|k| (k == "DOCUVAULT_PAGE_CONNECTIONS").then(|| bad.into()))
                .unwrap_err();
            assert!(
                err.to_string().contains("DOCUVAULT_PAGE_CONNECTIONS"),
                "{bad}: {err}"
            );
        }
        let from_toml: Config = toml::from_str("page_connections = 0").unwrap();
        assert_eq!(from_toml.page_connections(), 1, "never an empty pool");
    }
}
