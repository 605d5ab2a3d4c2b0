//! Configuration: defaults, then an optional TOML file (`DOCUVAULT_CONFIG`), then `DOCUVAULT_*`
//! environment variables and `DATABASE_URL`, layered and type-checked by `figment` (the
//! variables and the keys they set are one table, [`ENV`]). Secrets are `SecretString` and never
//! printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use figment::Figment;
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
    /// Base64 of 32 bytes: seals the credentials of users' cloud storage backends.
    pub cloud_creds_key: Option<SecretString>,
    /// Hosts, addresses and CIDRs that users' cloud storage URLs may reach although they are not
    /// public (or over plain http), e.g. `nas.home.arpa, 10.0.0.0/8`.
    pub cloud_allowed_hosts: String,
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
            cloud_creds_key: None,
            cloud_allowed_hosts: String::new(),
        }
    }
}

impl Config {
    /// The size of the page-read pool when configured (at least 1); `None`: the pool's default
    /// (twice the CPUs, at least 4).
    pub fn page_connections(&self) -> Option<u32> {
        self.page_connections.map(|n| n.max(1))
    }

    /// Defaults ← `DOCUVAULT_CONFIG` TOML file ← environment.
    pub fn load() -> Result<Self> {
        let file = std::env::var_os("DOCUVAULT_CONFIG").map(PathBuf::from);
        Self::layered(file.as_deref(), |k| std::env::var(k).ok())
    }

    /// The defaults with the TOML file at `path` over them.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::layered(Some(path), |_| None)
    }

    /// Replaces this configuration by the defaults with the variables `get` answers over them
    /// (what [`Config::load`] does without a file); for callers that build a configuration
    /// from a few variables, as the tests do.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        *self = Self::layered(None, get)?;
        Ok(())
    }

    /// Defaults ← the TOML file at `file` (which must exist) ← the variables of [`ENV`] that
    /// `get` answers, merged and checked by `figment`; an error names the variable (or the
    /// file's key) whose value is wrong.
    pub fn layered(file: Option<&Path>, get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            anyhow::ensure!(
                path.is_file(),
                "config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file_exact(path));
        }
        let mut given = Vec::new();
        for var in ENV {
            let Some(text) = get(var.name) else { continue };
            // An empty KurrentDB URL means "not set" (as an unset variable does).
            if var.kind == EnvKind::UnlessEmpty && text.is_empty() {
                continue;
            }
            let value = var.kind.value(&text).with_context(|| var.name.to_owned())?;
            figment = figment.merge(Serialized::default(var.key, value));
            given.push(var);
        }
        let cfg: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            match given.iter().find(|v| v.key == key) {
                Some(var) => anyhow::anyhow!("{}: {}", var.name, e.kind),
                None => match file {
                    Some(path) => anyhow::anyhow!("config file {}: {e}", path.display()),
                    None => anyhow::anyhow!("{e}"),
                },
            }
        })?;
        if cfg.page_connections == Some(0) && given.iter().any(|v| v.key == "page_connections") {
            anyhow::bail!("DOCUVAULT_PAGE_CONNECTIONS must be at least 1");
        }
        Ok(cfg)
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|s| s.expose_secret())
    }

    pub fn kurrentdb_url(&self) -> Option<&str> {
        self.kurrentdb_url.as_ref().map(|s| s.expose_secret())
    }
}

/// How a variable's text becomes a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvKind {
    /// As it is.
    Text,
    /// As it is, and an empty value is no value.
    UnlessEmpty,
    /// A whole number (anything else is reported against the variable).
    Number,
    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
    Bool,
    /// A comma-separated list.
    List,
}

impl EnvKind {
    fn value(self, text: &str) -> Result<Value> {
        Ok(match self {
            EnvKind::Text | EnvKind::UnlessEmpty => Value::from(text),
            EnvKind::Number => match text.trim().parse::<u64>() {
                Ok(n) => Value::from(n),
                // Left as text: the setting's type then says what was expected.
                Err(_) => Value::from(text),
            },
            EnvKind::Bool => Value::from(parse_bool(text)?),
            EnvKind::List => Value::from(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            ),
        })
    }
}

/// An environment variable and the key it sets (a dotted path, as in the TOML file).
#[derive(Debug)]
struct EnvVar {
    name: &'static str,
    key: &'static str,
    kind: EnvKind,
}

const fn var(name: &'static str, key: &'static str, kind: EnvKind) -> EnvVar {
    EnvVar { name, key, kind }
}

/// Every setting the environment can give.
const ENV: &[EnvVar] = &[
    var("DOCUVAULT_BIND", "bind", EnvKind::Text),
    var("DOCUVAULT_PUBLIC_URL", "public_url", EnvKind::Text),
    var("DATABASE_URL", "database_url", EnvKind::Text),
    var(
        "DOCUVAULT_KURRENTDB_URL",
        "kurrentdb_url",
        EnvKind::UnlessEmpty,
    ),
    var("DOCUVAULT_DATA_DIR", "data_dir", EnvKind::Text),
    var("DOCUVAULT_MASTER_KEY", "master_key", EnvKind::Text),
    var("DOCUVAULT_JWT_KEYS", "jwt_keys", EnvKind::Text),
    var(
        "DOCUVAULT_URL_SIGNING_KEY",
        "url_signing_key",
        EnvKind::Text,
    ),
    var(
        "DOCUVAULT_AUDIT_SIGNING_KEY",
        "audit_signing_key",
        EnvKind::Text,
    ),
    var("DOCUVAULT_BLOB_STORE", "blob.store", EnvKind::Text),
    var("DOCUVAULT_BLOB_FS_ROOT", "blob.fs_root", EnvKind::Text),
    var("DOCUVAULT_S3_ENDPOINT", "blob.s3_endpoint", EnvKind::Text),
    var("DOCUVAULT_S3_REGION", "blob.s3_region", EnvKind::Text),
    var("DOCUVAULT_S3_BUCKET", "blob.s3_bucket", EnvKind::Text),
    var(
        "DOCUVAULT_S3_PATH_STYLE",
        "blob.s3_path_style",
        EnvKind::Bool,
    ),
    var(
        "DOCUVAULT_S3_ACCESS_KEY",
        "blob.s3_access_key",
        EnvKind::Text,
    ),
    var(
        "DOCUVAULT_S3_SECRET_KEY",
        "blob.s3_secret_key",
        EnvKind::Text,
    ),
    var(
        "DOCUVAULT_DEFAULT_QUOTA_BYTES",
        "default_quota_bytes",
        EnvKind::Number,
    ),
    var(
        "DOCUVAULT_TRASH_RETENTION_DAYS",
        "trash_retention_days",
        EnvKind::Number,
    ),
    var(
        "DOCUVAULT_TRUSTED_PROXIES",
        "trusted_proxies",
        EnvKind::List,
    ),
    var("DOCUVAULT_WEB_DIR", "web_dir", EnvKind::Text),
    var(
        "DOCUVAULT_CONSISTENCY_WAIT_MS",
        "consistency_wait_ms",
        EnvKind::Number,
    ),
    var(
        "DOCUVAULT_PAGE_CONNECTIONS",
        "page_connections",
        EnvKind::Number,
    ),
    var("DOCUVAULT_BREACH_API_URL", "breach_api_url", EnvKind::Text),
    var("DOCUVAULT_LOG_JSON", "log_json", EnvKind::Bool),
    var(
        "DOCUVAULT_CLOUD_CREDS_KEY",
        "cloud_creds_key",
        EnvKind::Text,
    ),
    var(
        "DOCUVAULT_CLOUD_ALLOWED_HOSTS",
        "cloud_allowed_hosts",
        EnvKind::Text,
    ),
];

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
    fn the_page_pool_is_the_default_unless_configured() {
        assert_eq!(Config::default().page_connections(), None);
        let mut set = Config::default();
        set.apply_env(|k| (k == "DOCUVAULT_PAGE_CONNECTIONS").then(|| "6".into()))
            .unwrap();
        assert_eq!(set.page_connections(), Some(6));
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
        assert_eq!(from_toml.page_connections(), Some(1), "never an empty pool");
    }

    #[test]
    fn the_environment_goes_over_the_file_and_errors_name_the_key() {
        let dir = std::env::temp_dir().join(format!("docuvault-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("docuvault.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:7000\"\ntrash_retention_days = 7\n[blob]\nstore = \"s3\"\ns3_bucket = \"from-file\"\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "DOCUVAULT_S3_BUCKET" => Some("from-env".to_owned()),
            "DOCUVAULT_LOG_JSON" => Some("yes".to_owned()),
            _ => None,
        };
        let c = Config::layered(Some(&file), env).unwrap();
        assert_eq!(c.bind.port(), 7000, "the file over the defaults");
        assert_eq!(c.trash_retention_days, 7);
        assert_eq!(c.blob.store, "s3");
        assert_eq!(
            c.blob.s3_bucket.as_deref(),
            Some("from-env"),
            "the environment over the file"
        );
        assert_eq!(
            c.blob.s3_region, "us-east-1",
            "untouched keys keep their defaults"
        );
        assert!(c.log_json);

        std::fs::write(&file, "trash_retention_days = \"soon\"\n").unwrap();
        let err = Config::layered(Some(&file), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trash_retention_days"), "{err}");
        std::fs::write(&file, "no_such_setting = 1\n").unwrap();
        let err = Config::layered(Some(&file), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no_such_setting"), "{err}");
        let err = Config::layered(None, |k| {
            (k == "DOCUVAULT_LOG_JSON").then(|| "perhaps".into())
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("DOCUVAULT_LOG_JSON"), "{err:#}");
        let missing = dir.join("missing.toml");
        assert!(Config::layered(Some(&missing), |_| None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
