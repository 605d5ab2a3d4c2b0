//! Authentication and authorisation for the HTTP API: the identity services a request needs
//! (`Identity`), the `Authenticated`/`CurrentUser`/`Admin`/`Auditor` extractors, client IP and
//! user agent, the optional refresh cookie, the JWT access tokens (`jwt`), login throttling
//! (`throttle`), and how identity errors map to problem+json.

pub mod cache;
pub mod client;
pub mod cookie;
pub mod errors;
pub mod extract;
pub(crate) mod identity;
pub mod jwt;
pub mod qr;
pub mod throttle;

pub use cache::AuthCache;
pub use client::ClientInfo;
pub use extract::{Admin, Auditor, Authenticated, CurrentUser};
pub use identity::Identity;
pub use jwt::{AccessClaims, JwtKeys, TokenError};
pub use throttle::{LoginThrottle, RetryAfter, ThrottleConfig};
