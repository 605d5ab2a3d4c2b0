//! The audit log for auditors and admins: `GET /api/audit/events` (filtered, cursor-paginated
//! entries with a summary and their personal data, decrypted or `[erased]`), `GET
//! /api/audit/export` (JSON Lines or CSV with a signed manifest) and `GET /api/audit/as-of`
//! (point-in-time replay). Every use is itself recorded in the log.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::audit::AuditAccessEvent;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::auth::command_ctx;
use crate::audit::export::{self, ExportJob, Format, SigningKey};
use crate::audit::replay::{self, DocumentAsOf, UserAsOf};
use crate::audit::{self, AuditEntry, Selection};
use crate::auth::{Auditor, ClientInfo};
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;
use projections::audit::query;

#[derive(OpenApi)]
#[openapi(tags((name = "audit", description = "The audit log (auditors and admins)")))]
struct AuditDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AuditDoc::openapi())
        .routes(routes!(list_events))
        .routes(routes!(export_events))
        .routes(routes!(as_of))
}

/// Newest or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Newest,
    Oldest,
}

impl From<Order> for query::Order {
    fn from(o: Order) -> Self {
        match o {
            Order::Newest => query::Order::Newest,
            Order::Oldest => query::Order::Oldest,
        }
    }
}

/// The filters shared by the audit list and the export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Who did it (user id).
    pub actor: Option<Uuid>,
    /// Whom it is about: the account itself, a document's owner, a share's recipient.
    pub subject_user: Option<Uuid>,
    pub document_id: Option<Uuid>,
    /// Event type, or several separated by commas (e.g. `DocumentShared,ShareRevoked`).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Inclusive lower bound (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    pub fn selection(&self) -> Selection {
        Selection {
            actor: self.actor,
            subject_user: self.subject_user,
            document_id: self.document_id,
            types: self.event_type.as_deref().map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            from: self.from,
            to: self.to,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `newest` (default) or `oldest` first.
    pub order: Option<Order>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("p{position}"))
}

fn decode_cursor(raw: &str) -> ApiResult<i64> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('p').and_then(|p| p.parse().ok()))
        .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not one we issued."))
}

/// Audit entries matching every given filter, newest first unless `order=oldest`.
#[utoipa::path(get, path = "/api/audit/events", tag = "audit",
    security(("bearer" = [])),
    params(AuditFilter, PageQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "`invalid_cursor`"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Neither an auditor nor an admin"),
    ))]
async fn list_events(
    State(state): State<AppState>,
    Auditor(who): Auditor,
    client: ClientInfo,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<(ConsistencyToken, Json<AuditPage>)> {
    let limit = page.limit.unwrap_or(50).clamp(1, 200) as i64;
    let after = page.cursor.as_deref().map(decode_cursor).transpose()?;
    let sel = filter.selection();
    let mut rows = state
        .audit
        .page(
            &sel,
            page.order.unwrap_or_default().into(),
            after,
            limit + 1,
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let items = audit::render(state.store.as_ref(), state.audit.as_ref(), &rows).await?;
    let next_cursor = more
        .then(|| rows.last().map(|r| encode_cursor(r.position as u64)))
        .flatten();
    let ctx = command_ctx(&state, &client, who.actor());
    let position = commands::audit::record(
        &ctx,
        &AuditAccessEvent::AuditLogQueried {
            selection: sel.recorded(),
            returned: items.len() as u64,
        },
    )
    .await?;
    Ok((
        ConsistencyToken(Some(position)),
        Json(AuditPage { items, next_cursor }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<Format>,
}

/// Stream the selection, oldest first, as JSON Lines or CSV with each entry's hash-chain fields,
/// ending with a manifest signed with HMAC-SHA256 (`docuvault audit verify --export FILE`
/// checks one). The export is recorded in the log once it is complete.
#[utoipa::path(get, path = "/api/audit/export", tag = "audit",
    security(("bearer" = [])),
    params(AuditFilter, ExportQuery),
    responses(
        (status = 200, description = "The export: entry lines, then the manifest line",
            content_type = "application/jsonl"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Neither an auditor nor an admin"),
    ))]
async fn export_events(
    State(state): State<AppState>,
    Auditor(who): Auditor,
    client: ClientInfo,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(Format::Jsonl);
    let key =
        SigningKey::from_config(&state.config).map_err(|e| ApiError::internal(e.to_string()))?;
    let selection = filter.selection();
    let recorded = selection.recorded();
    let job = ExportJob {
        store: state.store.clone(),
        reads: state.audit.clone(),
        selection,
        format,
        key,
        now: state.clock.now(),
    };
    let ctx = command_ctx(&state, &client, who.actor());
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let failed = tx.clone();
    tokio::spawn(async move {
        match export::run(job, tx).await {
            Ok(done) => {
                let event = AuditAccessEvent::AuditLogExported {
                    selection: recorded,
                    format: format.as_str().to_owned(),
                    events: done.entries,
                    content_sha256: done.content_sha256,
                };
                if let Err(e) = commands::audit::record(&ctx, &event).await {
                    tracing::error!(error = %e, "recording an audit export failed");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                // Cut the body short: a truncated export has no manifest and fails verification.
                let _ = failed
                    .send(Err(std::io::Error::other("audit export failed")))
                    .await;
            }
        }
    });
    let filename = format!(
        "docuvault-audit-{}.{}",
        state.clock.now().format("%Y%m%dT%H%M%SZ"),
        format.as_str()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The instant (RFC 3339); default now.
    pub at: Option<DateTime<Utc>>,
    /// Ask about one document…
    pub document_id: Option<Uuid>,
    /// …or about one user (exactly one of the two).
    pub user_id: Option<Uuid>,
}

/// The answer of a point-in-time query: `document` or `user`, as asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct AsOfAnswer {
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentAsOf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserAsOf>,
}

/// Replay the log up to `at`: for a document, its owner, folder, name and exactly who could view
/// or download it; for a user, every document they could open.
#[utoipa::path(get, path = "/api/audit/as-of", tag = "audit",
    security(("bearer" = [])),
    params(AsOfQuery),
    responses(
        (status = 200, body = AsOfAnswer),
        (status = 400, description = "`invalid_query`: give exactly one of document_id and user_id"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Neither an auditor nor an admin"),
    ))]
async fn as_of(
    State(state): State<AppState>,
    Auditor(who): Auditor,
    client: ClientInfo,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> ApiResult<(ConsistencyToken, Json<AsOfAnswer>)> {
    let at = q.at.unwrap_or_else(|| state.clock.now());
    let store = state.store.as_ref();
    let (document, user) = match (q.document_id, q.user_id) {
        (Some(d), None) => (
            Some(replay::document_as_of(store, state.audit.as_ref(), d, at).await?),
            None,
        ),
        (None, Some(u)) => (
            None,
            Some(replay::user_as_of(store, state.audit.as_ref(), u, at).await?),
        ),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "Give exactly one of document_id and user_id.",
            ))
        }
    };
    let ctx = command_ctx(&state, &client, who.actor());
    let position = commands::audit::record(
        &ctx,
        &AuditAccessEvent::AuditReplayed {
            at,
            document_id: q.document_id,
            user_id: q.user_id,
        },
    )
    .await?;
    Ok((
        ConsistencyToken(Some(position)),
        Json(AsOfAnswer { at, document, user }),
    ))
}
