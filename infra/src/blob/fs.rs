//! The filesystem blob store (the embedded default, root `DATA_DIR/blobs`). Presigned URLs point
//! at DocuVault itself (`/api/blobs/{token}`, handled in `api::routes::blobs`); this module holds
//! the verify-and-stream logic. Writes go to a temp file, are hashed and size-checked while they
//! stream, synced, then renamed into place, so readers never see a partial object.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use domain::blob::{
    attachment_disposition, is_active_content, BlobError, BlobStore, ByteStream, DownloadSpec,
    ObjectHead, ObjectKey, PresignedRequest, UploadSpec, Validity,
};
use domain::ports::Clock;

use super::signed_url::{SignedRequest, UrlSigner};

/// Read and write buffer size: large enough for disk throughput, small enough to stay far from
/// the memory budget under many parallel transfers.
const IO_BUF: usize = 256 * 1024;

/// What the sidecar file beside each object remembers.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    size: u64,
    sha256: String,
    content_type: String,
}

pub struct FsBlobStore {
    root: PathBuf,
    signer: UrlSigner,
    /// Where `/api/blobs/…` is reachable from clients, without a trailing slash; `None` makes
    /// the URLs relative (`/api/blobs/…`), for the HTTP layer to complete from the request.
    base_url: Option<String>,
    clock: Arc<dyn Clock>,
}

/// How old a temp file must be before [`FsBlobStore::sweep_temp`] removes it by default: far
/// longer than any upload streams, so only the leftovers of interrupted uploads and crashes go.
pub const TEMP_FILE_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A verified download, ready to stream.
pub struct Download {
    pub size: u64,
    pub content_type: String,
    pub content_disposition: String,
    pub body: ByteStream,
}

impl FsBlobStore {
    /// Opens (creating) a store under `root`. `base_url` is the public origin of this DocuVault,
    /// e.g. `https://vault.example` or `http://127.0.0.1:8080`; without one, URLs are relative.
    pub async fn open(
        root: impl Into<PathBuf>,
        signing_key: Vec<u8>,
        base_url: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BlobError> {
        let root = root.into();
        for dir in ["objects", "meta", "tmp"] {
            tokio::fs::create_dir_all(root.join(dir)).await?;
        }
        Ok(Self {
            root,
            signer: UrlSigner::new(signing_key),
            base_url: base_url.map(|b| b.trim_end_matches('/').to_owned()),
            clock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        // Keys only ever render as uuid/uuid or derived/uuid/uuid/[a-z0-9._-]+: no `..`, no
        // absolute paths (see `ObjectKey`).
        self.root.join("objects").join(key.to_string())
    }

    fn meta_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join("meta").join(format!("{key}.json"))
    }

    fn url(&self, req: &SignedRequest) -> String {
        format!(
            "{}/api/blobs/{}",
            self.base_url.as_deref().unwrap_or(""),
            self.signer.sign(req)
        )
    }

    /// Verifies a token for `method` (`PUT` or `GET`) against the store's clock.
    pub fn verify(&self, token: &str, method: &str) -> Result<SignedRequest, BlobError> {
        self.signer.verify(token, method, self.clock.now())
    }

    /// Handles a signed PUT: the request's `Content-Type` and `Content-Length` must be the signed
    /// ones, and the body must be exactly that long.
    pub async fn receive(
        &self,
        req: &SignedRequest,
        content_type: Option<&str>,
        content_length: Option<u64>,
        body: ByteStream,
    ) -> Result<ObjectHead, BlobError> {
        let key = req.object_key()?;
        if content_type != Some(req.content_type.as_str()) {
            return Err(BlobError::SignedMismatch("content-type"));
        }
        let expected = req
            .content_length
            .ok_or(BlobError::SignedMismatch("content-length"))?;
        if content_length.is_some_and(|l| l != expected) {
            return Err(BlobError::SignedMismatch("content-length"));
        }
        self.write(&key, &req.content_type, body, expected, true)
            .await
    }

    /// Handles a signed GET.
    pub async fn serve(&self, req: &SignedRequest) -> Result<Download, BlobError> {
        let key = req.object_key()?;
        let file = tokio::fs::File::open(self.object_path(&key)).await?;
        let size = file.metadata().await?.len();
        let filename = req.filename.clone().unwrap_or_else(|| "download".into());
        Ok(Download {
            size,
            content_type: req.content_type.clone(),
            content_disposition: attachment_disposition(&filename),
            body: ReaderStream::with_capacity(file, IO_BUF).boxed(),
        })
    }

    /// Streams `body` into a temp file (hashing and counting as it goes), then renames it over
    /// the object. `exact` demands exactly `limit` bytes; otherwise at most `limit`.
    async fn write(
        &self,
        key: &ObjectKey,
        content_type: &str,
        mut body: ByteStream,
        limit: u64,
        exact: bool,
    ) -> Result<ObjectHead, BlobError> {
        let tmp = self
            .root
            .join("tmp")
            .join(uuid::Uuid::now_v7().simple().to_string());
        // Hashing and writing run on two blocking threads, each fed the same chunks (shared,
        // not copied) through a small bounded channel, so receiving, hashing and writing overlap;
        // memory stays at a few chunks in flight. SHA-256 is the slowest of the three.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let (hash_tx, mut hash_rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let path = tmp.clone();
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let file = std::fs::File::create(&path)?;
            let mut out = std::io::BufWriter::with_capacity(IO_BUF, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        });
        let hasher = tokio::task::spawn_blocking(move || -> [u8; 32] {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            while let Some(chunk) = hash_rx.blocking_recv() {
                ctx.update(&chunk);
            }
            let mut sha = [0u8; 32];
            sha.copy_from_slice(ctx.finish().as_ref());
            sha
        });
        let received = async {
            let mut size: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| BlobError::Backend(format!("request body: {e}")))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(if exact {
                        BlobError::SizeMismatch {
                            expected: limit,
                            actual: size,
                        }
                    } else {
                        BlobError::TooLarge { limit }
                    });
                }
                if hash_tx.send(chunk.clone()).await.is_err() || tx.send(chunk).await.is_err() {
                    // The writer stopped early: its own error is reported below.
                    break;
                }
            }
            if exact && size != limit {
                return Err(BlobError::SizeMismatch {
                    expected: limit,
                    actual: size,
                });
            }
            Ok(size)
        }
        .await;
        drop(tx);
        drop(hash_tx);
        let written = writer
            .await
            .map_err(|e| BlobError::Backend(format!("blob writer: {e}")))?;
        let sha = hasher
            .await
            .map_err(|e| BlobError::Backend(format!("blob hasher: {e}")))?;
        let written = written.map(|()| sha);
        // A failed write (disk full, …) is the root cause of whatever the receiving side saw.
        let result = match (received, written) {
            (_, Err(e)) => Err(BlobError::Backend(format!("writing object: {e}"))),
            (Err(e), Ok(_)) => Err(e),
            (Ok(size), Ok(sha)) => Ok((size, sha)),
        };
        let (size, sha) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let path = self.object_path(key);
        let meta_path = self.meta_path(key);
        let meta = Meta {
            size,
            sha256: hex::encode(sha),
            content_type: content_type.to_owned(),
        };
        let placed = async {
            for p in [&path, &meta_path] {
                if let Some(parent) = p.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
            }
            // The sidecar first: a sidecar without its object reads as missing, while an object
            // whose sidecar disagrees in size just has an unknown checksum.
            let meta_tmp = tmp.with_extension("meta");
            tokio::fs::write(
                &meta_tmp,
                serde_json::to_vec(&meta).expect("meta serializes"),
            )
            .await?;
            tokio::fs::rename(&meta_tmp, &meta_path).await?;
            tokio::fs::rename(&tmp, &path).await?;
            if let Some(parent) = path.parent() {
                tokio::fs::File::open(parent).await?.sync_all().await?;
            }
            Ok::<_, std::io::Error>(())
        }
        .await;
        if let Err(e) = placed {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(BlobError::Backend(format!("placing object: {e}")));
        }
        Ok(ObjectHead {
            size,
            sha256: Some(sha),
        })
    }

    /// Removes temp files older than `age` (left by uploads interrupted mid-stream or a crash).
    pub async fn sweep_temp(&self, age: std::time::Duration) -> Result<usize, BlobError> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(self.root.join("tmp")).await?;
        while let Some(entry) = dir.next_entry().await? {
            let old = entry
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|elapsed| elapsed > age);
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    fn kind(&self) -> &'static str {
        "fs"
    }

    async fn presign_put(
        &self,
        key: &ObjectKey,
        spec: &UploadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        let expires_at = validity.expires_at();
        let url = self.url(&SignedRequest {
            method: "PUT".into(),
            key: key.to_string(),
            expires: expires_at.timestamp(),
            content_type: spec.content_type.clone(),
            content_length: Some(spec.content_length),
            filename: None,
        });
        Ok(PresignedRequest {
            method: "PUT".into(),
            url,
            headers: vec![("Content-Type".into(), spec.content_type.clone())],
            expires_at,
        })
    }

    async fn presign_get(
        &self,
        key: &ObjectKey,
        spec: &DownloadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        let expires_at = validity.expires_at();
        let content_type = if is_active_content(&spec.content_type) {
            "application/octet-stream".to_owned()
        } else {
            spec.content_type.clone()
        };
        let url = self.url(&SignedRequest {
            method: "GET".into(),
            key: key.to_string(),
            expires: expires_at.timestamp(),
            content_type,
            content_length: None,
            filename: Some(spec.filename.clone()),
        });
        Ok(PresignedRequest {
            method: "GET".into(),
            url,
            headers: vec![],
            expires_at,
        })
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectHead>, BlobError> {
        let size = match tokio::fs::metadata(self.object_path(key)).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let sha256 = tokio::fs::read(self.meta_path(key))
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
            .filter(|m| m.size == size)
            .and_then(|m| hex::decode(m.sha256).ok())
            .and_then(|v| <[u8; 32]>::try_from(v).ok());
        Ok(Some(ObjectHead { size, sha256 }))
    }

    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        max_size: u64,
    ) -> Result<ObjectHead, BlobError> {
        self.write(key, content_type, body, max_size, false).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, BlobError> {
        let file = tokio::fs::File::open(self.object_path(key)).await?;
        Ok(ReaderStream::with_capacity(file, IO_BUF).boxed())
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Bytes, BlobError> {
        let file = tokio::fs::File::open(self.object_path(key)).await?;
        let mut buf = Vec::with_capacity(len.min(IO_BUF));
        file.take(len as u64).read_to_end(&mut buf).await?;
        Ok(Bytes::from(buf))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), BlobError> {
        for p in [self.object_path(key), self.meta_path(key)] {
            match tokio::fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use domain::ports::SystemClock;

    use super::*;

    #[tokio::test]
    async fn the_temp_sweep_removes_only_files_older_than_the_age() {
        let root = std::env::temp_dir().join(format!("docuvault-fs-{}", uuid::Uuid::new_v4()));
        let store = FsBlobStore::open(&root, vec![7; 32], None, Arc::new(SystemClock))
            .await
            .unwrap();
        let abandoned = root.join("tmp").join("abandoned");
        let in_flight = root.join("tmp").join("in-flight");
        std::fs::write(&abandoned, b"half an upload").unwrap();
        std::fs::write(&in_flight, b"an upload still streaming").unwrap();
        let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&abandoned)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();

        let removed = store.sweep_temp(TEMP_FILE_AGE).await.unwrap();

        assert_eq!(removed, 1);
        assert!(!abandoned.exists());
        assert!(in_flight.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
