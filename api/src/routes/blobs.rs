//! Signed URLs of the filesystem blob store: `PUT /api/blobs/{token}` streams an upload to disk,
//! `GET /api/blobs/{token}` streams a download as an attachment. The token is the whole
//! credential (verified in `infra::blob::fs`), so these routes take no bearer token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use utoipa_axum::{router::OpenApiRouter, routes};

use domain::blob::BlobError;
use infra::blob::FsBlobStore;

use crate::error::ApiError;
use crate::extract::ApiPath;

/// No uploaded HTML or SVG may ever run in our origin: downloads are sandboxed and inert.
pub const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// The filesystem store, when it is the configured one (the routes answer 404 otherwise).
#[derive(Clone, Default)]
pub struct FsBlobs(pub Option<Arc<FsBlobStore>>);

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    FsBlobs: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(put_blob, get_blob))
}

/// Upload through a signed URL (filesystem store). `Content-Type` and `Content-Length` must be
/// the signed ones and the body exactly that long.
#[utoipa::path(put, path = "/api/blobs/{token}", tag = "documents",
    params(("token" = String, Path, description = "The signed token from `upload.url`")),
    responses(
        (status = 200, description = "Stored"),
        (status = 400, description = "Body length differs from the signed one"),
        (status = 403, description = "Tampered, expired or mismatching request"),
    ))]
async fn put_blob(
    State(FsBlobs(store)): State<FsBlobs>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let store = store.ok_or_else(ApiError::not_found)?;
    let req = store.verify(&token, "PUT").map_err(blob_error)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    store
        .receive(&req, content_type, content_length, Box::pin(stream))
        .await
        .map_err(blob_error)?;
    Ok(StatusCode::OK)
}

/// Download through a signed URL (filesystem store): always an attachment, never rendered.
#[utoipa::path(get, path = "/api/blobs/{token}", tag = "documents",
    params(("token" = String, Path, description = "The signed token from a download redirect")),
    responses(
        (status = 200, description = "The bytes, as an attachment"),
        (status = 403, description = "Tampered or expired URL"),
        (status = 404, description = "No such object"),
    ))]
async fn get_blob(
    State(FsBlobs(store)): State<FsBlobs>,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    let store = store.ok_or_else(ApiError::not_found)?;
    let req = store.verify(&token, "GET").map_err(blob_error)?;
    let download = store.serve(&req).await.map_err(blob_error)?;
    let mut res = Body::from_stream(download.body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&download.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&download.content_disposition)
            .map_err(|e| ApiError::internal(format!("content-disposition: {e}")))?,
    );
    attachment_headers(h);
    Ok(res)
}

/// The headers every download response carries, here and on the download redirect.
pub fn attachment_headers(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_CSP),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

/// Blob failures as problem+json: signature and expiry problems are 403 like S3 answers them.
pub fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::NotFound => ApiError::not_found(),
        BlobError::InvalidSignature | BlobError::InvalidKey => ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "The URL is not valid.",
        ),
        BlobError::Expired => {
            ApiError::new(StatusCode::FORBIDDEN, "url_expired", "The URL has expired.")
        }
        BlobError::SignedMismatch(what) => ApiError::new(
            StatusCode::FORBIDDEN,
            "signed_header_mismatch",
            format!("The request's {what} is not the one the URL was signed for."),
        ),
        BlobError::SizeMismatch { expected, actual } => ApiError::bad_request(
            "size_mismatch",
            format!("Expected exactly {expected} bytes."),
        )
        .with("expected_bytes", expected)
        .with("received_bytes", actual),
        BlobError::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "The body is larger than allowed.",
        )
        .with("limit_bytes", limit),
        BlobError::ChecksumMismatch => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "checksum_mismatch",
            "The content does not match the declared SHA-256.",
        ),
        BlobError::Backend(ctx) => ApiError::internal(ctx),
        BlobError::Unsupported => ApiError::internal("the blob store cannot sign URLs"),
    }
}
