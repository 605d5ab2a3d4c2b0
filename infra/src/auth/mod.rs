//! Authentication primitives: argon2id hashing, password screening, JWT access tokens, TOTP and
//! login throttling. Refresh tokens and recovery codes are minted in `commands::identity::secrets`
//! (random bytes and SHA-256 need no adapter).

pub mod hasher;
pub mod jwt;
pub mod screen;
pub mod throttle;
pub mod totp;

pub use hasher::{Argon2Hasher, HasherConfig};
pub use jwt::{AccessClaims, JwtKeys, TokenError};
pub use screen::{BreachRange, Screener};
pub use throttle::{LoginThrottle, RetryAfter, ThrottleConfig};
pub use totp::{qr_svg, Rfc6238};
