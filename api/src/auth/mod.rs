//! Authentication and authorisation for the HTTP API: the identity services a request needs
//! (`Identity`), the `Authenticated`/`CurrentUser`/`Admin`/`Auditor` extractors, client IP and
//! user agent, the optional refresh cookie, and how identity errors map to problem+json.

pub mod cache;
pub mod client;
pub mod cookie;
pub mod errors;
pub mod extract;
mod identity;

pub use cache::AuthCache;
pub use client::ClientInfo;
pub use extract::{Admin, Auditor, Authenticated, CurrentUser};
pub use identity::Identity;
