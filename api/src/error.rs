//! `ApiError`: every failure as `application/problem+json` (RFC 9457) with a stable `code`.
//! Internal context is logged (by the `log_server_errors` middleware), never sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use commands::erasure::EraseError;
use commands::CommandError;
use domain::ports::StoreError;
use projections::ReadError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `quota_exceeded`.
    pub code: &'static str,
    /// Human-readable explanation for the client.
    pub detail: String,
    /// Extra members of the problem object (e.g. `limit_bytes`).
    pub extra: Map<String, Value>,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
    /// For the log only.
    pub internal: Option<String>,
}

/// Carried in the response extensions so the logging middleware can report 5xx causes.
#[derive(Debug, Clone)]
pub struct InternalErrorContext(pub String);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
            headers: Vec::new(),
            internal: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        )
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You are not allowed to do this.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unavailable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(context: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side.",
        );
        e.internal = Some(context.into());
        e
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("https://docuvault.dev/problems/{}", self.code)),
        );
        body.insert(
            "title".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("code".into(), json!(self.code));
        body.insert("detail".into(), json!(self.detail));
        for (k, v) in self.extra {
            body.insert(k, v);
        }
        let mut res = (self.status, axum::Json(Value::Object(body))).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        if let Some(ctx) = self.internal {
            res.extensions_mut().insert(InternalErrorContext(ctx));
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::conflict(
                "concurrent_modification",
                "The resource changed while we were working on it; try again.",
            ),
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// A read-model query: bad listing parameters are 400s, a failing store a 500 (logged as a
/// database error).
impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::InvalidSort => ApiError::bad_request("invalid_sort", e.to_string()),
            ReadError::InvalidCursor | ReadError::CursorOfAnotherSort => {
                ApiError::bad_request("invalid_cursor", e.to_string())
            }
            ReadError::Database(_) => ApiError::internal(e.to_string()),
        }
    }
}

/// Maps the non-domain command failures; the domain variant goes through `F: Into<ApiError>`.
impl<E: Into<ApiError>> From<CommandError<E>> for ApiError {
    fn from(e: CommandError<E>) -> Self {
        match e {
            CommandError::Domain(d) => d.into(),
            CommandError::Conflict => ApiError::conflict(
                "concurrent_modification",
                "The resource kept changing while we were working on it; try again.",
            ),
            CommandError::NotFound => ApiError::not_found(),
            CommandError::Forbidden => ApiError::forbidden(),
            CommandError::Infra(cause) => ApiError::internal(cause.to_string()),
        }
    }
}

/// An erasure that stopped: the account's refusals as every identity command maps them (404,
/// 403, 409 `cannot_modify_self`, …); the read model, blob store and key ring as 500s whose cause
/// goes to the log (a read model's reads `database: …`).
impl From<EraseError> for ApiError {
    fn from(e: EraseError) -> Self {
        match e {
            EraseError::Account(e) => e.into(),
            EraseError::OwnedDocuments(e) => ApiError::internal(e.to_string()),
            EraseError::Blobs(e) => ApiError::internal(e.to_string()),
            EraseError::Keys(e) => ApiError::internal(e.to_string()),
            EraseError::Credentials(e) => ApiError::internal(e.to_string()),
        }
    }
}

/// A storage backend command's refusal: the account check's findings as 422s with stable codes.
impl From<commands::storage::StorageCommandError> for ApiError {
    fn from(e: commands::storage::StorageCommandError) -> Self {
        use commands::storage::{ConnectError as C, StorageCommandError as S};
        use domain::storage::StorageError as E;
        let unprocessable =
            |code, detail: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
        match e {
            S::Storage(E::User(u)) => ApiError::internal(u.to_string()),
            S::Storage(E::NoSuchBackend) => ApiError::not_found(),
            S::Storage(e @ E::TooMany) => ApiError::conflict("too_many_backends", e.to_string()),
            S::Storage(e @ E::InvalidDisplayName) => {
                ApiError::bad_request("invalid_display_name", e.to_string())
            }
            S::Storage(e @ E::InUse { documents }) => {
                ApiError::conflict("backend_in_use", e.to_string())
                    .with("documents_count", documents)
            }
            S::Connect(e @ C::InvalidUrl(_)) => unprocessable("invalid_url", e.to_string()),
            S::Connect(e @ C::NotAllowed(_)) => {
                unprocessable("backend_url_not_allowed", e.to_string())
            }
            S::Connect(e @ C::AuthFailed) => unprocessable("backend_auth_failed", e.to_string()),
            S::Connect(e @ C::Unreachable) => unprocessable("backend_unreachable", e.to_string()),
            S::Connect(e @ C::Tls) => unprocessable("backend_tls_failed", e.to_string()),
            S::Connect(e @ C::Protocol(_)) => {
                unprocessable("backend_protocol_error", e.to_string())
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
