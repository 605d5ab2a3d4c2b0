//! How the documents area's business rejections answer over HTTP. Anything the caller may not
//! see is a plain 404, indistinguishable from a missing resource.

use axum::http::StatusCode;
use commands::documents::DocError;
use domain::document::{DocumentError, RejectReason};
use domain::folder::FolderError;
use domain::quota::QuotaError;

use crate::error::ApiError;

impl From<DocError> for ApiError {
    fn from(e: DocError) -> Self {
        let detail = e.to_string();
        match e {
            DocError::Document(d) => document(d, detail),
            DocError::Folder(f) => folder(f, detail),
            DocError::Quota(QuotaError::Exceeded {
                limit_bytes,
                used_bytes,
            }) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded", detail)
                .with("limit_bytes", limit_bytes)
                .with("used_bytes", used_bytes),
            DocError::Name(_) => ApiError::bad_request("invalid_name", detail),
            DocError::TooLarge { limit_bytes } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", detail)
                    .with("limit_bytes", limit_bytes)
            }
            DocError::RecipientNotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "recipient_not_found",
                "No user has this handle.",
            ),
            DocError::InvalidChecksum => ApiError::bad_request("invalid_sha256", detail),
        }
    }
}

fn document(e: DocumentError, detail: String) -> ApiError {
    match e {
        DocumentError::NotFound | DocumentError::ShareNotFound => ApiError::not_found(),
        DocumentError::OwnerOnly => ApiError::new(StatusCode::FORBIDDEN, "owner_only", detail),
        DocumentError::DownloadNotPermitted => {
            ApiError::new(StatusCode::FORBIDDEN, "download_not_permitted", detail)
        }
        DocumentError::AlreadyExists => ApiError::conflict("already_exists", detail),
        DocumentError::NotPending => ApiError::conflict("not_pending", detail),
        DocumentError::UploadExpired => ApiError::conflict("upload_expired", detail),
        DocumentError::UploadRejected(reason) => match reason {
            RejectReason::ObjectMissing => ApiError::conflict(
                "upload_missing",
                "Nothing was uploaded to the upload URL; request a new one.",
            ),
            RejectReason::SizeMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "size_mismatch",
                "The uploaded size differs from the declared one; the upload was discarded.",
            ),
            RejectReason::ChecksumMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "checksum_mismatch",
                "The uploaded content does not match the declared SHA-256; it was discarded.",
            ),
            RejectReason::QuotaExceeded => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
                "The upload does not fit the storage quota; it was discarded.",
            ),
        },
        DocumentError::Trashed => ApiError::conflict("trashed", detail),
        DocumentError::NotTrashed => ApiError::conflict("not_trashed", detail),
        DocumentError::NotUploaded => ApiError::conflict("not_uploaded", detail),
        DocumentError::ShareWithSelf => ApiError::bad_request("share_with_self", detail),
        DocumentError::AlreadyShared => ApiError::conflict("already_shared", detail),
        DocumentError::TooManyShares(n) => {
            ApiError::conflict("too_many_shares", detail).with("limit", n as u64)
        }
    }
}

fn folder(e: FolderError, detail: String) -> ApiError {
    match e {
        FolderError::NotFound | FolderError::ParentNotFound => ApiError::not_found(),
        FolderError::NameTaken => ApiError::conflict("name_taken", detail),
        FolderError::Cycle => ApiError::conflict("folder_cycle", detail),
        FolderError::TooDeep => ApiError::conflict("too_deep", detail),
        FolderError::TooMany => ApiError::conflict("too_many_folders", detail),
        FolderError::NotEmpty => ApiError::conflict("folder_not_empty", detail),
    }
}
