//! Authentication adapters behind `commands::identity::ports`: argon2id hashing, password
//! screening against a breach range API, and TOTP (RFC 6238). Refresh tokens and recovery codes
//! are minted in `commands::identity::secrets` (random bytes and SHA-256 need no adapter); access
//! tokens and login throttling are the HTTP layer's (`api::auth::{jwt, throttle}`).

pub mod hasher;
pub mod screen;
pub mod totp;

pub use hasher::{Argon2Hasher, HasherConfig};
pub use screen::{BreachRange, Screener};
pub use totp::Rfc6238;
