//! Building [`Identity`] from the configuration: the identity commands' adapters (argon2id, the
//! password screen, TOTP) with the JWT key ring, the login throttle and the auth cache.

use std::sync::Arc;

use anyhow::{Context, Result};
use base64::Engine;
use commands::identity::secrets::IndexKey;
use commands::identity::IdentityDeps;
use infra::auth::{Argon2Hasher, HasherConfig, Rfc6238, Screener};
use secrecy::ExposeSecret;

use crate::auth::identity::{TOKEN_AUDIENCE, TOKEN_ISSUER};
use crate::auth::{AuthCache, Identity, JwtKeys, LoginThrottle, ThrottleConfig};
use crate::config::Config;

impl Identity {
    /// Builds the identity services: argon2 (computes its dummy hash, so call it once at
    /// startup), the password screen, TOTP, the JWT key ring, the throttle and the auth cache.
    pub fn from_config(cfg: &Config) -> Result<Self> {
        let master = cfg
            .master_key
            .as_ref()
            .context("DOCUVAULT_MASTER_KEY is not set")?;
        let master = base64::engine::general_purpose::STANDARD
            .decode(master.expose_secret().trim())
            .context("DOCUVAULT_MASTER_KEY is not base64")?;
        let jwt_spec = cfg
            .jwt_keys
            .as_ref()
            .context("DOCUVAULT_JWT_KEYS is not set")?;
        let jwt = JwtKeys::parse(jwt_spec.expose_secret(), TOKEN_ISSUER, TOKEN_AUDIENCE)
            .context("DOCUVAULT_JWT_KEYS")?;
        let hasher = Argon2Hasher::new(HasherConfig::default()).context("initialising argon2")?;
        let deps = IdentityDeps {
            hasher: Arc::new(hasher),
            screen: Arc::new(Screener::new(cfg.breach_api_url.as_deref())),
            totp: Arc::new(Rfc6238::new("DocuVault")),
            index: IndexKey::derive_from_master(&master),
            refresh_lifetime: chrono::Duration::days(IdentityDeps::DEFAULT_REFRESH_LIFETIME_DAYS),
        };
        Ok(Self {
            deps,
            jwt,
            throttle: LoginThrottle::new(ThrottleConfig::default()),
            cache: AuthCache::new(AuthCache::DEFAULT_TTL),
            trusted_proxies: cfg.trusted_proxies.clone(),
            public_origin: cfg
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_owned()),
        })
    }
}
