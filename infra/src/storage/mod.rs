//! Cloud storage backends' adapters behind `commands::storage`'s ports: checking an account and
//! opening its blob store ([`connector`]), listing its folders ([`browse`]), and the credential
//! vault ([`vault`]).

pub mod browse;
pub mod connector;
pub mod vault;

pub use connector::WebDavConnector;
pub use vault::{CloudCredsKey, PgCredentialVault};
