//! `/api/documents`: presigned and one-step uploads, listing, metadata, rename/move, trash,
//! restore and download.

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use commands::documents::{download, manage, upload};
use domain::document::Document;
use domain::ids::{DocumentId, FolderId, UserId};
use projections::documents::{DocRow, Listing, Sort, Visibility};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::documents::dto::{
    DocumentDto, Page, UpdateDocumentRequest, UploadTarget, UploadUrlRequest, UploadUrlResponse,
    ERASED_HANDLE,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    // The one-step upload streams (bounded by the quota and the per-document maximum), so the
    // default request-body limit does not apply to it; every other route keeps it.
    let streaming = OpenApiRouter::new()
        .routes(routes!(list, upload_multipart))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(streaming)
        .routes(routes!(upload_url))
        .routes(routes!(confirm))
        .routes(routes!(get_one, update, trash))
        .routes(routes!(restore))
        .routes(routes!(download_redirect))
}

/// Default and largest page size.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

pub fn page_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// Reads one document as the caller may see it, with its owner's handle.
pub async fn document_dto(
    state: &AppState,
    caller: UserId,
    id: Uuid,
) -> ApiResult<(DocumentDto, Visibility)> {
    let (row, vis) = state
        .documents
        .reads
        .visible_document(caller.as_uuid(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut dto = DocumentDto::from(row);
    if vis != Visibility::Owner {
        // The owner's other documents are none of a recipient's business.
        dto.duplicate_of = None;
    }
    Ok((dto, vis))
}

pub async fn owner_handle(state: &AppState, owner: Uuid) -> ApiResult<String> {
    Ok(state
        .documents
        .reads
        .handles(&[owner])
        .await?
        .remove(&owner)
        .unwrap_or_else(|| ERASED_HANDLE.into()))
}

/// A document as a command just left it: from the read model once the projections have caught
/// up with `position` (a bounded wait), else built from the aggregate's state (then the times
/// are approximate).
pub async fn dto_after(
    state: &AppState,
    position: Option<u64>,
    d: &domain::document::DocumentData,
) -> ApiResult<DocumentDto> {
    let caught_up = match (&state.waiter, position) {
        (Some(waiter), Some(pos)) => {
            let timeout = std::time::Duration::from_millis(state.config.consistency_wait_ms);
            waiter.wait_for(pos, timeout).await
        }
        (_, None) => true,
        (None, Some(_)) => false,
    };
    if caught_up {
        if let Some((row, _)) = state
            .documents
            .reads
            .visible_document(d.owner.as_uuid(), d.id.as_uuid())
            .await?
        {
            return Ok(row.into());
        }
    }
    let handle = owner_handle(state, d.owner.as_uuid()).await?;
    let now = state.clock.now();
    let row = DocRow {
        id: d.id.as_uuid(),
        owner_id: d.owner.as_uuid(),
        folder_key: d.folder_id.map(|f| f.as_uuid()).unwrap_or(Uuid::nil()),
        filename: d.filename.display(),
        filename_key: String::new(),
        content_type: d.content_type.clone(),
        size_bytes: d.size_bytes as i64,
        sha256: d.sha256.clone(),
        state: match d.status {
            domain::document::Status::Pending => "pending",
            domain::document::Status::Trashed => "trashed",
            _ => "active",
        }
        .into(),
        processing_status: "uploaded".into(),
        topic_ids: vec![],
        duplicate_of: None,
        created_at: now,
        updated_at: now,
        trashed_at: d.trashed_at,
        shared_with_count: d.shares.len() as i32,
        owner_handle: Some(handle),
    };
    Ok(row.into())
}

/// A command's document as the response, with its consistency token.
async fn respond(
    state: &AppState,
    done: commands::documents::Done<domain::document::DocumentData>,
) -> ApiResult<(ConsistencyToken, Json<DocumentDto>)> {
    let dto = dto_after(state, done.position, &done.value).await?;
    Ok((ConsistencyToken(done.position), Json(dto)))
}

/// Completes a relative URL (the filesystem store's, when no public URL is configured) with the
/// origin the client used for this request.
pub fn absolute_url(url: String, headers: &HeaderMap) -> String {
    if !url.starts_with('/') {
        return url;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{url}")
}

fn caller(user: &CurrentUser) -> UserId {
    user.id()
}

/// Start a presigned upload: the quota pre-check is advisory, the binding check is at confirm.
#[utoipa::path(post, path = "/api/documents/upload-url", tag = "documents",
    request_body = UploadUrlRequest,
    responses(
        (status = 201, body = UploadUrlResponse),
        (status = 400, description = "Invalid filename, size, type or checksum"),
        (status = 413, description = "`quota_exceeded` (with `limit_bytes`, `used_bytes`) or `too_large`"),
    ),
    security(("bearer" = [])))]
async fn upload_url(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UploadUrlRequest>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<UploadUrlResponse>)> {
    let size = u64::try_from(body.size)
        .map_err(|_| ApiError::bad_request("invalid_size", "size must not be negative."))?;
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = upload::request_upload(
        &ctx,
        &state.documents.services,
        caller(&user),
        upload::UploadRequest {
            filename: body.filename,
            size,
            content_type: body.content_type,
            folder_id: body.folder_id.map(FolderId),
            sha256: body.sha256,
        },
    )
    .await?;
    let t = done.value;
    let upload_headers: BTreeMap<String, String> = t.upload.headers.into_iter().collect();
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(UploadUrlResponse {
            document_id: t.document_id.as_uuid(),
            upload: UploadTarget {
                method: t.upload.method,
                url: absolute_url(t.upload.url, &headers),
                headers: upload_headers,
            },
            expires_at: t.expires_at,
        }),
    ))
}

/// Verify the uploaded object and make the document available.
#[utoipa::path(post, path = "/api/documents/{id}/confirm", tag = "documents",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = DocumentDto),
        (status = 404, description = "No such document (or not yours)"),
        (status = 409, description = "Nothing uploaded, or the upload expired"),
        (status = 413, description = "`quota_exceeded`: the upload was discarded"),
        (status = 422, description = "Size or checksum mismatch: the upload was discarded"),
    ),
    security(("bearer" = [])))]
async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(ConsistencyToken, Json<DocumentDto>)> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = upload::confirm(
        &ctx,
        &state.documents.services,
        caller(&user),
        DocumentId(id),
    )
    .await?;
    respond(&state, done).await
}

/// One-step streaming upload (`multipart/form-data`: `file`, optional `folder_id`; `folder_id`
/// must come before `file`).
#[utoipa::path(post, path = "/api/documents", tag = "documents",
    request_body(content_type = "multipart/form-data", description = "`folder_id` (optional) then `file`"),
    responses(
        (status = 201, body = DocumentDto),
        (status = 413, description = "`quota_exceeded` or `too_large`"),
    ),
    security(("bearer" = [])))]
async fn upload_multipart(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    mut form: Multipart,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<DocumentDto>)> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let mut folder: Option<FolderId> = None;
    while let Some(field) = form.next_field().await.map_err(bad_multipart)? {
        match field.name() {
            Some("folder_id") => {
                let text = field.text().await.map_err(bad_multipart)?;
                let text = text.trim();
                if !text.is_empty() && text != "root" {
                    folder = Some(FolderId(text.parse().map_err(|_| {
                        ApiError::bad_request("invalid_folder_id", "folder_id must be a UUID.")
                    })?));
                }
            }
            Some("file") => {
                let filename = field.file_name().unwrap_or("upload").to_owned();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                // The part borrows the form, so it is fed through a small channel to the
                // (owning) upload stream; both run in this task, chunk by chunk.
                let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
                let feed = async move {
                    let mut field = field;
                    loop {
                        let next = field.chunk().await.map_err(std::io::Error::other);
                        let done = matches!(next, Ok(None));
                        let item = match next {
                            Ok(Some(chunk)) => Ok(chunk),
                            Ok(None) => break,
                            Err(e) => Err(e),
                        };
                        let failed = item.is_err();
                        if tx.send(item).await.is_err() || failed || done {
                            break;
                        }
                    }
                };
                let body = futures::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item, rx))
                });
                let upload = upload::upload_stream(
                    &ctx,
                    &state.documents.services,
                    caller(&user),
                    &filename,
                    &content_type,
                    folder,
                    Box::pin(body),
                );
                let ((), done) = tokio::join!(feed, upload);
                let done = done?;
                let dto = dto_after(&state, done.position, &done.value).await?;
                return Ok((
                    StatusCode::CREATED,
                    ConsistencyToken(done.position),
                    Json(dto),
                ));
            }
            _ => {}
        }
    }
    Err(ApiError::bad_request(
        "missing_file",
        "The form has no `file` field.",
    ))
}

fn bad_multipart(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("invalid_multipart", e.body_text())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A folder id, or `root` for the top level; absent: every folder.
    pub folder_id: Option<String>,
    /// Full-text search (web-search syntax, as `GET /api/search`) over filename, text and topics
    /// of available documents, ranked (then `sort` does not apply; a broad query's matches
    /// after its ranked candidates come newest first, as `GET /api/search` says); on `pending`
    /// and `trashed` listings a case-insensitive filename substring.
    pub q: Option<String>,
    /// `uploaded` (default; every available document) or `pending`.
    pub status: Option<String>,
    /// `created_at`, `filename` or `size_bytes`; `-` prefix for descending. Default `-created_at`.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's own documents, one page at a time.
#[utoipa::path(get, path = "/api/documents", tag = "documents", params(ListQuery),
    responses((status = 200, body = Page<DocumentDto>)), security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<DocumentDto>>> {
    let folder = match q.folder_id.as_deref() {
        None | Some("") => None,
        Some("root") => Some(Uuid::nil()),
        Some(raw) => Some(raw.parse::<Uuid>().map_err(|_| {
            ApiError::bad_request("invalid_folder_id", "folder_id must be a UUID or `root`.")
        })?),
    };
    let state_filter = match q.status.as_deref() {
        None | Some("uploaded" | "active" | "ready" | "available") => "active",
        Some("pending") => "pending",
        Some("trashed") => "trashed",
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status must be `uploaded`, `pending` or `trashed`.",
            ))
        }
    };
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        if state_filter == "active" {
            let page = crate::intelligence::listing::search_page(
                &state,
                user.id(),
                text,
                folder,
                page_limit(q.limit),
                q.cursor.clone(),
            )
            .await?;
            return Ok(Json(page));
        }
    }
    let listing = Listing {
        owner: user.id().as_uuid(),
        state: state_filter,
        folder,
        q: q.q,
        sort: Sort::parse(q.sort.as_deref())?,
        limit: page_limit(q.limit),
        cursor: q.cursor,
    };
    Ok(Json(list_page(&state, &listing).await?))
}

/// One page of the caller's documents (all share the caller as owner).
pub async fn list_page(state: &AppState, listing: &Listing) -> ApiResult<Page<DocumentDto>> {
    let (rows, next_cursor) = state.documents.reads.list_documents(listing).await?;
    Ok(Page {
        items: rows.into_iter().map(DocumentDto::from).collect(),
        next_cursor,
    })
}

/// One document: the caller's own, or one shared with them.
#[utoipa::path(get, path = "/api/documents/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentDto), (status = 404, description = "No such document (or not visible to you)")),
    security(("bearer" = [])))]
async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DocumentDto>> {
    let (dto, vis) = document_dto(&state, caller(&user), id).await?;
    // The read model may lag a revocation, a trash or a rejected upload by a moment; the stream
    // does not. Recipients and pending uploads are checked against it.
    if vis != Visibility::Owner || dto.status == "pending" {
        let ctx = command_context(&state, caller(&user), user.role(), &headers);
        let doc = commands::load::<Document>(&ctx, id).await?.state;
        if doc.access(caller(&user)) == domain::document::Access::None {
            return Err(ApiError::not_found());
        }
    }
    Ok(Json(dto))
}

/// Rename and/or move (`folder_id: null` moves to the top level).
#[utoipa::path(patch, path = "/api/documents/{id}", tag = "documents", params(("id" = Uuid, Path)),
    request_body = UpdateDocumentRequest,
    responses((status = 200, body = DocumentDto), (status = 404), (status = 403, description = "A recipient may not change it"), (status = 409)),
    security(("bearer" = [])))]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateDocumentRequest>,
) -> ApiResult<(ConsistencyToken, Json<DocumentDto>)> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = manage::update(
        &ctx,
        caller(&user),
        DocumentId(id),
        manage::DocumentChange {
            filename: body.filename,
            folder_id: body.folder_id.map(|f| f.map(FolderId)),
        },
    )
    .await?;
    respond(&state, done).await
}

/// Move to the trash (it still counts against the quota until purged).
#[utoipa::path(delete, path = "/api/documents/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentDto), (status = 404)), security(("bearer" = [])))]
async fn trash(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(ConsistencyToken, Json<DocumentDto>)> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = manage::trash(&ctx, caller(&user), DocumentId(id)).await?;
    respond(&state, done).await
}

/// Back from the trash, into its folder (or the top level when that folder is gone).
#[utoipa::path(post, path = "/api/documents/{id}/restore", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentDto), (status = 404), (status = 409, description = "Not in the trash")),
    security(("bearer" = [])))]
async fn restore(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(ConsistencyToken, Json<DocumentDto>)> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = manage::restore(&ctx, caller(&user), DocumentId(id)).await?;
    respond(&state, done).await
}

/// A 302 to a short-lived URL serving the bytes as an attachment (audited).
#[utoipa::path(get, path = "/api/documents/{id}/download", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 302, description = "To a short-lived signed URL"), (status = 403, description = "A view-only share"), (status = 404)),
    security(("bearer" = [])))]
async fn download_redirect(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let ctx = command_context(&state, caller(&user), user.role(), &headers);
    let done = download::download(
        &ctx,
        &state.documents.services,
        caller(&user),
        DocumentId(id),
    )
    .await?;
    let (url, filename) = done.value;
    let location = HeaderValue::from_str(&absolute_url(url.url, &headers))
        .map_err(|e| ApiError::internal(format!("download url: {e}")))?;
    let mut res = (StatusCode::FOUND, ConsistencyToken(done.position), ()).into_response();
    res.headers_mut().insert(header::LOCATION, location);
    if let Ok(cd) = HeaderValue::from_str(&domain::blob::attachment_disposition(&filename)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, cd);
    }
    super::blobs::attachment_headers(res.headers_mut());
    Ok(res)
}
