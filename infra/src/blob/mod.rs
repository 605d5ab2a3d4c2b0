//! Blob stores behind `domain::blob::BlobStore`: the local filesystem (embedded default, with
//! URLs signed and served by DocuVault itself), S3-compatible object storage, and a user's own
//! WebDAV server (Nextcloud among them).

pub mod fs;
pub mod s3;
pub mod signed_url;
pub mod webdav;

pub use fs::FsBlobStore;
pub use s3::{S3BlobStore, S3Config};
pub use signed_url::{SignedRequest, UrlSigner};
pub use webdav::{WebDavBlobStore, WebDavConfig};
