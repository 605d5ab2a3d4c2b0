//! `Identity`: the identity services shared by every request, built once from the configuration
//! (by `crate::wiring::identity`, which picks the adapters).

use std::net::IpAddr;

use commands::identity::IdentityDeps;

use super::cache::AuthCache;
use super::{JwtKeys, LoginThrottle};

/// The `iss` and `aud` of our access tokens.
pub const TOKEN_ISSUER: &str = "docuvault";
pub const TOKEN_AUDIENCE: &str = "docuvault-api";

pub struct Identity {
    pub deps: IdentityDeps,
    pub jwt: JwtKeys,
    pub throttle: LoginThrottle,
    pub cache: AuthCache,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The externally visible origin (`scheme://host[:port]`) for the refresh cookie's
    /// same-origin check; when unset, the request's `Host` is compared instead.
    pub public_origin: Option<String>,
}
