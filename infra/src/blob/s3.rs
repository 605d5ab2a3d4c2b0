//! The S3 blob store on `aws-sdk-s3`: endpoint, region, bucket, path-style addressing and static
//! credentials are configurable, so MinIO, Garage and AWS all work. Browsers move the bytes with
//! SigV4-presigned URLs; server-side uploads of unknown length stream as multipart uploads.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{ChecksumMode, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio_util::io::ReaderStream;

use domain::blob::{
    attachment_disposition, is_active_content, BlobError, BlobStore, ByteStream, DownloadSpec,
    ObjectHead, ObjectKey, PresignedRequest, UploadSpec, Validity,
};

/// Multipart part size for server-side streaming uploads (S3's minimum is 5 MiB): the most a
/// single upload holds in memory.
const PART_SIZE: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:9000`; `None` for AWS's regional endpoints.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    /// `true` for MinIO, Garage and most self-hosted stores.
    pub path_style: bool,
    pub access_key: SecretString,
    pub secret_key: SecretString,
}

pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    pub fn new(cfg: &S3Config) -> Self {
        let creds = Credentials::new(
            cfg.access_key.expose_secret(),
            cfg.secret_key.expose_secret(),
            None,
            None,
            "docuvault-config",
        );
        let mut b = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            .credentials_provider(creds)
            .force_path_style(cfg.path_style)
            // Newer SDKs add CRC checksums (and aws-chunked bodies) by default, which several
            // S3-compatible stores reject; we verify content with our own SHA-256 instead.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &cfg.endpoint {
            b = b.endpoint_url(endpoint);
        }
        Self {
            client: Client::from_conf(b.build()),
            bucket: cfg.bucket.clone(),
        }
    }

    /// Creates the bucket when it does not exist yet (for `docuvault dev` and tests).
    pub async fn ensure_bucket(&self) -> Result<(), BlobError> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(backend("create bucket", e)),
        }
    }

    fn presigning(validity: Validity) -> Result<PresigningConfig, BlobError> {
        let start: SystemTime = validity.issued_at.into();
        PresigningConfig::builder()
            .start_time(start)
            .expires_in(validity.lifetime)
            .build()
            .map_err(|e| BlobError::Backend(format!("presigning config: {e}")))
    }

    async fn put_small(&self, key: &str, content_type: &str, body: Bytes) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(S3Body::from(body))
            .send()
            .await
            .map_err(|e| backend("put object", e))?;
        Ok(())
    }

    /// Multipart upload, one buffered part at a time. Aborted on any failure, so no parts linger.
    async fn put_multipart(
        &self,
        key: &str,
        content_type: &str,
        first_part: Bytes,
        rest: &mut ByteStream,
        state: &mut Hashing,
    ) -> Result<(), BlobError> {
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| backend("create multipart upload", e))?;
        let upload_id = upload
            .upload_id()
            .ok_or_else(|| BlobError::Backend("multipart upload without id".into()))?
            .to_owned();
        let result = async {
            let mut parts = Vec::new();
            let mut next = Some(first_part);
            let mut number = 1;
            while let Some(part) = next.take() {
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(S3Body::from(part))
                    .send()
                    .await
                    .map_err(|e| backend("upload part", e))?;
                parts.push(
                    CompletedPart::builder()
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .part_number(number)
                        .build(),
                );
                number += 1;
                let chunk = state.fill(rest).await?;
                if !chunk.is_empty() {
                    next = Some(chunk);
                }
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| backend("complete multipart upload", e))?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

/// Reads a body into parts of `PART_SIZE`, counting and hashing, and enforcing the size limit.
struct Hashing {
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl Hashing {
    /// The next part (up to `PART_SIZE` bytes; empty at the end of the body).
    async fn fill(&mut self, body: &mut ByteStream) -> Result<Bytes, BlobError> {
        let mut buf = BytesMut::new();
        while buf.len() < PART_SIZE {
            match body.next().await {
                None => break,
                Some(chunk) => {
                    let chunk =
                        chunk.map_err(|e| BlobError::Backend(format!("request body: {e}")))?;
                    self.size += chunk.len() as u64;
                    if self.size > self.limit {
                        return Err(BlobError::TooLarge { limit: self.limit });
                    }
                    self.hasher.update(&chunk);
                    buf.extend_from_slice(&chunk);
                }
            }
        }
        Ok(buf.freeze())
    }
}

/// The SDK's presigned request as the port's.
fn presigned_request(
    p: &aws_sdk_s3::presigning::PresignedRequest,
    validity: Validity,
) -> PresignedRequest {
    PresignedRequest {
        method: p.method().to_owned(),
        url: p.uri().to_owned(),
        headers: p
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        expires_at: validity.expires_at(),
    }
}

fn backend<E: ProvideErrorMetadata + std::fmt::Debug>(what: &str, e: E) -> BlobError {
    BlobError::Backend(format!(
        "{what}: {} {}",
        e.code().unwrap_or("-"),
        e.message().unwrap_or("")
    ))
}

/// The HTTP status of a failed call, when it got as far as a response.
fn status<E, R: HttpStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(|r| r.status_u16())
}

trait HttpStatus {
    fn status_u16(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_u16(&self) -> u16 {
        self.status().as_u16()
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn presign_put(
        &self,
        key: &ObjectKey,
        spec: &UploadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        let len = i64::try_from(spec.content_length).map_err(|_| BlobError::TooLarge {
            limit: i64::MAX as u64,
        })?;
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .content_type(&spec.content_type)
            .content_length(len);
        if let Some(sha) = spec.sha256 {
            // Signed too: the store itself refuses bytes that do not hash to the declaration.
            req = req.checksum_sha256(STANDARD.encode(sha));
        }
        let presigned = req
            .presigned(Self::presigning(validity)?)
            .await
            .map_err(|e| BlobError::Backend(format!("presign put: {e}")))?;
        Ok(presigned_request(&presigned, validity))
    }

    async fn presign_get(
        &self,
        key: &ObjectKey,
        spec: &DownloadSpec,
        validity: Validity,
    ) -> Result<PresignedRequest, BlobError> {
        let content_type = if is_active_content(&spec.content_type) {
            "application/octet-stream"
        } else {
            spec.content_type.as_str()
        };
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .response_content_disposition(attachment_disposition(&spec.filename))
            .response_content_type(content_type)
            .presigned(Self::presigning(validity)?)
            .await
            .map_err(|e| BlobError::Backend(format!("presign get: {e}")))?;
        Ok(presigned_request(&presigned, validity))
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectHead>, BlobError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectHead {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                sha256: out
                    .checksum_sha256()
                    // A multipart object's checksum is a checksum of checksums (`…-N`): skip it.
                    .filter(|c| !c.contains('-'))
                    .and_then(|c| STANDARD.decode(c).ok())
                    .and_then(|v| <[u8; 32]>::try_from(v).ok()),
            })),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(backend("head object", e)),
        }
    }

    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        mut body: ByteStream,
        max_size: u64,
    ) -> Result<ObjectHead, BlobError> {
        let key = key.to_string();
        let mut state = Hashing {
            hasher: Sha256::new(),
            size: 0,
            limit: max_size,
        };
        let first = state.fill(&mut body).await?;
        if first.len() < PART_SIZE {
            self.put_small(&key, content_type, first).await?;
        } else {
            self.put_multipart(&key, content_type, first, &mut body, &mut state)
                .await?;
        }
        Ok(ObjectHead {
            size: state.size,
            sha256: Some(state.hasher.finalize().into()),
        })
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, BlobError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .send()
            .await
            .map_err(|e| match status(&e) {
                Some(404) => BlobError::NotFound,
                _ => backend("get object", e),
            })?;
        Ok(ReaderStream::new(out.body.into_async_read()).boxed())
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Bytes, BlobError> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .range(format!("bytes=0-{}", len - 1))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            // An empty object has no byte 0.
            Err(e) if status(&e) == Some(416) => return Ok(Bytes::new()),
            Err(e) if status(&e) == Some(404) => return Err(BlobError::NotFound),
            Err(e) => return Err(backend("get object range", e)),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Backend(format!("reading object range: {e}")))?
            .into_bytes();
        // Stores that ignore `Range` send everything: keep only what was asked for.
        Ok(bytes.slice(..bytes.len().min(len)))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .send()
            .await
            .map_err(|e| backend("delete object", e))?;
        Ok(())
    }
}

/// Presigning requires a lifetime below a week; callers use minutes.
pub const MAX_PRESIGN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
