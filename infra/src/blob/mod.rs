//! Blob stores behind `domain::blob::BlobStore`: the local filesystem (embedded default, with
//! URLs signed and served by DocuVault itself) and S3-compatible object storage.

pub mod fs;
pub mod s3;
pub mod signed_url;

pub use fs::FsBlobStore;
pub use s3::{S3BlobStore, S3Config};
pub use signed_url::{SignedRequest, UrlSigner};
