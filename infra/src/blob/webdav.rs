//! The WebDAV blob store (RFC 4918), for a user's own server: Apache `mod_dav`, Nextcloud
//! (`…/remote.php/dav/files/USER/`), ownCloud, rclone. Objects live under one root collection, at
//! their [`ObjectKey`] path; the collections above an object are created on first use.
//!
//! A WebDAV server cannot sign URLs for a browser, so `presign_*` answer
//! [`BlobError::Unsupported`] and DocuVault relays the bytes itself. Uploads go to a hidden
//! part file beside the object and are moved over it (`MOVE`, `Overwrite: T`) once complete and
//! within the size limit, so a reader sees the old bytes or the new ones, never a part, on any
//! server — however it writes a `PUT`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use domain::blob::{
    BlobError, BlobStore, ByteStream, DownloadSpec, ObjectHead, ObjectKey, PresignedRequest,
    UploadSpec, Validity,
};

use crate::outbound::{CONNECT_TIMEOUT, READ_TIMEOUT};

/// Where a WebDAV store keeps its objects and how it signs in (HTTP Basic).
#[derive(Clone)]
pub struct WebDavConfig {
    /// The root collection's URL, e.g. `https://cloud.example.org/remote.php/dav/files/ann/DocuVault/`.
    pub root: reqwest::Url,
    pub username: String,
    pub password: SecretString,
}

impl std::fmt::Debug for WebDavConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebDavConfig")
            .field("root", &self.root.as_str())
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

pub struct WebDavBlobStore {
    http: reqwest::Client,
    config: WebDavConfig,
    /// Collections known to exist (created or found), so each is made once per process.
    collections: Mutex<HashSet<String>>,
}

impl WebDavBlobStore {
    /// A store on `config.root` (a trailing `/` is added when missing), with a client of its own
    /// that follows no redirects and bounds connecting and every read, but checks no address:
    /// for a URL the operator chose. A user's URL goes through [`Self::with_client`] with the
    /// outbound policy's client.
    pub fn new(config: WebDavConfig) -> Result<Self, BlobError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| BlobError::Backend(format!("webdav client: {e}")))?;
        Ok(Self::with_client(http, config))
    }

    /// A store that sends its requests through `http` (which decides timeouts, redirects and
    /// which addresses it may reach: `infra::outbound::OutboundPolicy::client_for` for a URL a
    /// user gave).
    pub fn with_client(http: reqwest::Client, mut config: WebDavConfig) -> Self {
        if !config.root.path().ends_with('/') {
            let path = format!("{}/", config.root.path());
            config.root.set_path(&path);
        }
        Self {
            http,
            config,
            collections: Mutex::new(HashSet::new()),
        }
    }

    /// The URL of `path` (segments below the root, `/`-separated, each percent-encoded).
    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.config.root.clone();
        {
            let mut segments = url.path_segments_mut().expect("http URLs have paths");
            segments.pop_if_empty();
            for segment in path.split('/').filter(|s| !s.is_empty()) {
                segments.push(segment);
            }
            if path.ends_with('/') {
                segments.push("");
            }
        }
        url
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).basic_auth(
            &self.config.username,
            Some(self.config.password.expose_secret()),
        )
    }

    /// Creates the root collection (its parent must exist) and every collection above `key`'s
    /// object that is not known to exist.
    async fn ensure_parents(&self, key: &str) -> Result<(), BlobError> {
        let segments: Vec<&str> = key.split('/').collect();
        let mut paths = vec![String::new()];
        for segment in &segments[..segments.len() - 1] {
            let last = paths.last().expect("the root");
            paths.push(format!("{last}{segment}/"));
        }
        for path in paths {
            if self
                .collections
                .lock()
                .expect("not poisoned")
                .contains(&path)
            {
                continue;
            }
            let res =
                send(self.request(Method::from_bytes(b"MKCOL").expect("valid"), &path)).await?;
            match res.status() {
                // Created, or already there (RFC 4918 §9.3.1: 405 for an existing resource).
                StatusCode::CREATED | StatusCode::METHOD_NOT_ALLOWED | StatusCode::OK => {}
                // Another request may have been creating it at the same moment.
                status if !self.exists(&path).await? => return Err(unexpected("MKCOL", status)),
                _ => {}
            }
            self.collections
                .lock()
                .expect("not poisoned")
                .insert(path.clone());
        }
        Ok(())
    }

    /// Checks that objects can be written and removed: makes the root collection, then writes
    /// and deletes a small probe file in it.
    pub async fn probe(&self) -> Result<(), BlobError> {
        let probe = format!(".probe-{}", Uuid::now_v7().simple());
        self.ensure_parents(&probe).await?;
        let res = send(self.request(Method::PUT, &probe).body("docuvault probe")).await?;
        if !res.status().is_success() {
            return Err(unexpected("PUT", res.status()));
        }
        self.delete_path(&probe).await
    }

    /// Whether `path` exists (`PROPFIND`, `Depth: 0`).
    async fn exists(&self, path: &str) -> Result<bool, BlobError> {
        let res = send(
            self.request(Method::from_bytes(b"PROPFIND").expect("valid"), path)
                .header("Depth", "0"),
        )
        .await?;
        Ok(res.status() == StatusCode::MULTI_STATUS)
    }

    /// Deletes `path`; a missing resource is not an error.
    async fn delete_path(&self, path: &str) -> Result<(), BlobError> {
        let res = send(self.request(Method::DELETE, path)).await?;
        match res.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            status => Err(unexpected("DELETE", status)),
        }
    }
}

/// Size and SHA-256 of a body on its way to the server, and whether it grew past the limit.
#[derive(Default)]
struct Tally {
    hasher: Sha256,
    size: u64,
    too_large: bool,
}

async fn send(req: reqwest::RequestBuilder) -> Result<reqwest::Response, BlobError> {
    let res = req.send().await.map_err(transport)?;
    match res.status() {
        StatusCode::UNAUTHORIZED => Err(BlobError::Backend(format!(
            "webdav: the server refused the credentials ({})",
            res.status()
        ))),
        _ => Ok(res),
    }
}

/// A transport failure, without the URL's query (never a credential: those go in a header).
fn transport(e: reqwest::Error) -> BlobError {
    BlobError::Backend(format!("webdav: {}", e.without_url()))
}

fn unexpected(what: &str, status: StatusCode) -> BlobError {
    BlobError::Backend(format!("webdav: {what} answered {status}"))
}

#[async_trait]
impl BlobStore for WebDavBlobStore {
    fn kind(&self) -> &'static str {
        "webdav"
    }

    async fn presign_put(
        &self,
        _key: &ObjectKey,
        _spec: &UploadSpec,
        _validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        Err(BlobError::Unsupported)
    }

    async fn presign_get(
        &self,
        _key: &ObjectKey,
        _spec: &DownloadSpec,
        _validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        Err(BlobError::Unsupported)
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectHead>, BlobError> {
        let res = send(self.request(Method::HEAD, &key.to_string())).await?;
        match res.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let size = res
                    .headers()
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| {
                        BlobError::Backend("webdav: HEAD answered without a length".into())
                    })?;
                Ok(Some(ObjectHead { size, sha256: None }))
            }
            status => Err(unexpected("HEAD", status)),
        }
    }

    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        max_size: u64,
    ) -> Result<ObjectHead, BlobError> {
        let key = key.to_string();
        self.ensure_parents(&key).await?;
        let (dir, name) = key.rsplit_once('/').unwrap_or(("", &key));
        let part = format!("{dir}/.{name}.part-{}", Uuid::now_v7().simple());
        let tally = Arc::new(Mutex::new(Tally::default()));
        let counted = {
            let tally = tally.clone();
            body.map(move |chunk| {
                let chunk = chunk?;
                let mut t = tally.lock().expect("not poisoned");
                t.size += chunk.len() as u64;
                if t.size > max_size {
                    t.too_large = true;
                    return Err(std::io::Error::other("body over the size limit"));
                }
                t.hasher.update(&chunk);
                Ok(chunk)
            })
        };
        let sent = send(
            self.request(Method::PUT, &part)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(reqwest::Body::wrap_stream(counted)),
        )
        .await;
        let (too_large, size, sha256) = {
            let t = tally.lock().expect("not poisoned");
            (
                t.too_large,
                t.size,
                <[u8; 32]>::from(t.hasher.clone().finalize()),
            )
        };
        let stored = match sent {
            _ if too_large => Err(BlobError::TooLarge { limit: max_size }),
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => Err(unexpected("PUT", res.status())),
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            // A server may keep what it received of an aborted body.
            let _ = self.delete_path(&part).await;
            return Err(e);
        }
        let moved = send(
            self.request(Method::from_bytes(b"MOVE").expect("valid"), &part)
                .header("Destination", self.url(&key).as_str())
                .header("Overwrite", "T"),
        )
        .await;
        match moved {
            Ok(res) if res.status().is_success() => Ok(ObjectHead {
                size,
                sha256: Some(sha256),
            }),
            other => {
                let _ = self.delete_path(&part).await;
                Err(match other {
                    Ok(res) => unexpected("MOVE", res.status()),
                    Err(e) => e,
                })
            }
        }
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, BlobError> {
        let res = send(self.request(Method::GET, &key.to_string())).await?;
        match res.status() {
            StatusCode::NOT_FOUND => Err(BlobError::NotFound),
            s if s.is_success() => Ok(res.bytes_stream().map_err(std::io::Error::other).boxed()),
            status => Err(unexpected("GET", status)),
        }
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Bytes, BlobError> {
        let mut req = self.request(Method::GET, &key.to_string());
        if len > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes=0-{}", len - 1));
        }
        let res = send(req).await?;
        match res.status() {
            StatusCode::NOT_FOUND => return Err(BlobError::NotFound),
            // An empty object has no byte 0 to start a range at.
            StatusCode::RANGE_NOT_SATISFIABLE => return Ok(Bytes::new()),
            s if s.is_success() => {}
            status => return Err(unexpected("GET", status)),
        }
        // A server may ignore the range and send everything: read only what is asked for.
        let mut body = res.bytes_stream();
        let mut out = BytesMut::with_capacity(len.min(64 * 1024));
        while out.len() < len {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(transport)?;
                    let take = chunk.len().min(len - out.len());
                    out.extend_from_slice(&chunk[..take]);
                }
                None => break,
            }
        }
        Ok(out.freeze())
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), BlobError> {
        self.delete_path(&key.to_string()).await
    }
}
